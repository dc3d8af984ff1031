/**
 * The session's seccomp filter, as a classic BPF program (pure: built and unit-tested on any
 * OS; seccomp.ts installs it). What it refuses, and why:
 *
 * - socket(2)/socketpair(2) of any family but AF_UNIX, AF_INET, AF_INET6 and AF_NETLINK →
 *   EAFNOSUPPORT. The session's network namespace and the nft uid rule cover IP; families
 *   they do not cover (AF_VSOCK to the hypervisor, AF_BLUETOOTH, AF_CAN, AF_TIPC, AF_RDS,
 *   AF_XDP, AF_ALG, AF_PACKET, …) are refused outright. Netlink stays: getifaddrs(3) (Node's
 *   os.networkInterfaces, ip) needs NETLINK_ROUTE, which the network namespace confines.
 * - io_uring_setup(2) → ENOSYS: io_uring can open sockets (IORING_OP_SOCKET) and files
 *   without the syscalls this filter sees.
 * - add_key(2), request_key(2), keyctl(2) → EPERM: the kernel keyrings. The session already
 *   runs in a fresh session keyring (keyring.ts); the identity's *user* keyring, though, is
 *   shared by every session of that identity, so keys planted there would cross sessions and
 *   workspaces. Dev tooling does not need kernel keyrings.
 * - any syscall of another ABI than the runner's own (i386 on x86_64, x32) → ENOSYS, since
 *   their syscall numbers (socketcall!) differ and would slip past the checks above.
 *
 * Everything else is allowed (this is a refusal list, not an allowlist of syscalls).
 */

export interface SeccompArch {
  /** AUDIT_ARCH_* value in seccomp_data.arch. */
  audit: number;
  /** Syscall numbers at or above this belong to another ABI (x32), or null. */
  foreignFrom: number | null;
  nr: { socket: number; socketpair: number; addKey: number; requestKey: number; keyctl: number; ioUringSetup: number };
}

export const ARCHES: Record<string, SeccompArch> = {
  x64: { audit: 0xc000003e, foreignFrom: 0x40000000, nr: { socket: 41, socketpair: 53, addKey: 248, requestKey: 249, keyctl: 250, ioUringSetup: 425 } },
  arm64: { audit: 0xc00000b7, foreignFrom: null, nr: { socket: 198, socketpair: 199, addKey: 217, requestKey: 218, keyctl: 219, ioUringSetup: 425 } },
};

export const ALLOWED_SOCKET_FAMILIES = { AF_UNIX: 1, AF_INET: 2, AF_INET6: 10, AF_NETLINK: 16 } as const;

const BPF_LD_W_ABS = 0x20;
const BPF_JEQ_K = 0x15;
const BPF_JGE_K = 0x35;
const BPF_RET_K = 0x06;
const RET_ALLOW = 0x7fff0000;
const RET_ERRNO = 0x00050000;
const EPERM = 1;
const ENOSYS = 38;
const EAFNOSUPPORT = 97;
/** offsetof(struct seccomp_data, …). */
const OFF_NR = 0;
const OFF_ARCH = 4;
const OFF_ARG0_LOW = 16;

export interface Instruction {
  code: number;
  jt: number;
  jf: number;
  k: number;
}

type Op =
  | { load: number }
  | { ret: number }
  | { jeq: number; then: string; else?: string }
  | { jge: number; then: string; else?: string }
  | { label: string };

/** Resolve labels to the relative jumps classic BPF uses (forward only, ≤ 255). */
export function assemble(ops: Op[]): Instruction[] {
  const positions = new Map<string, number>();
  let n = 0;
  for (const op of ops) {
    if ('label' in op) positions.set(op.label, n);
    else n += 1;
  }
  const out: Instruction[] = [];
  const offset = (label: string | undefined, at: number): number => {
    if (label === undefined) return 0;
    const target = positions.get(label);
    if (target === undefined) throw new Error(`seccomp program: unknown label ${label}`);
    const jump = target - at - 1;
    if (jump < 0 || jump > 255) throw new Error(`seccomp program: jump to ${label} out of range`);
    return jump;
  };
  for (const op of ops) {
    if ('label' in op) continue;
    const at = out.length;
    if ('load' in op) out.push({ code: BPF_LD_W_ABS, jt: 0, jf: 0, k: op.load });
    else if ('ret' in op) out.push({ code: BPF_RET_K, jt: 0, jf: 0, k: op.ret });
    else if ('jeq' in op) out.push({ code: BPF_JEQ_K, jt: offset(op.then, at), jf: offset(op.else, at), k: op.jeq >>> 0 });
    else out.push({ code: BPF_JGE_K, jt: offset(op.then, at), jf: offset(op.else, at), k: op.jge >>> 0 });
  }
  return out;
}

export function sessionFilter(arch: SeccompArch): Instruction[] {
  const { nr } = arch;
  return assemble([
    { load: OFF_ARCH },
    { jeq: arch.audit, then: 'native', else: 'enosys' },
    { label: 'native' },
    { load: OFF_NR },
    ...(arch.foreignFrom === null ? [] : [{ jge: arch.foreignFrom, then: 'enosys' }]),
    { jeq: nr.socket, then: 'family' },
    { jeq: nr.socketpair, then: 'family' },
    { jeq: nr.addKey, then: 'eperm' },
    { jeq: nr.requestKey, then: 'eperm' },
    { jeq: nr.keyctl, then: 'eperm' },
    { jeq: nr.ioUringSetup, then: 'enosys' },
    { ret: RET_ALLOW },
    { label: 'family' },
    { load: OFF_ARG0_LOW },
    ...Object.values(ALLOWED_SOCKET_FAMILIES).map((family) => ({ jeq: family, then: 'allow' })),
    { ret: RET_ERRNO | EAFNOSUPPORT },
    { label: 'allow' },
    { ret: RET_ALLOW },
    { label: 'eperm' },
    { ret: RET_ERRNO | EPERM },
    { label: 'enosys' },
    { ret: RET_ERRNO | ENOSYS },
  ]);
}

/** Run the program over one seccomp_data record (for tests: what the kernel would decide). */
export function evaluate(program: Instruction[], data: { nr: number; arch: number; args: number[] }): number {
  let acc = 0;
  for (let pc = 0; pc < program.length; pc++) {
    const ins = program[pc]!;
    switch (ins.code) {
      case BPF_LD_W_ABS:
        acc = ins.k === OFF_NR ? data.nr : ins.k === OFF_ARCH ? data.arch : ins.k === OFF_ARG0_LOW ? (data.args[0] ?? 0) : 0;
        break;
      case BPF_JEQ_K:
        pc += acc >>> 0 === ins.k ? ins.jt : ins.jf;
        break;
      case BPF_JGE_K:
        pc += acc >>> 0 >= ins.k ? ins.jt : ins.jf;
        break;
      case BPF_RET_K:
        return ins.k;
      default:
        throw new Error(`unknown BPF code ${ins.code}`);
    }
  }
  throw new Error('program fell off the end');
}

/** struct sock_filter[]: u16 code, u8 jt, u8 jf, u32 k. */
export function encode(program: Instruction[]): Buffer {
  const buf = Buffer.alloc(program.length * 8);
  program.forEach((ins, i) => {
    buf.writeUInt16LE(ins.code, i * 8);
    buf.writeUInt8(ins.jt, i * 8 + 2);
    buf.writeUInt8(ins.jf, i * 8 + 3);
    buf.writeUInt32LE(ins.k >>> 0, i * 8 + 4);
  });
  return buf;
}
