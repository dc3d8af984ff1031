/**
 * Pseudo-terminals for commands, opened by the runner as the identity (after the drop, under its
 * Landlock domain) on the session's own devpts instance (session-view.ts): the master through
 * /dev/ptmx, the slave from the master with TIOCGPTPEER (Linux 4.13), so no /dev/pts/N path is
 * looked up between the two. Slaves are 0600 and the identity's, like the runner itself.
 *
 * Why libc's ioctl through koffi rather than node-pty: koffi already binds libc here (no native
 * build to install under /usr/local/lib/corral, nothing more for the root-owned install to
 * check), and node-pty forks from its own native code, outside child_process: the per-command
 * cgroup move (cgroup.ts forkInto) and the checks around spawn would have to be redone for it.
 * The child still starts through child_process with the slave as its stdio; making it the session
 * leader with the pty as its controlling terminal is util-linux `setsid --ctty` (command.ts).
 *
 * The ioctl numbers are the asm-generic ones (x86, arm, arm64, riscv, s390, loongarch); powerpc,
 * mips and sparc number them differently and get no pty (ptySupport says why).
 */
import { closeSync, constants, openSync } from 'node:fs';
import { arch, endianness } from 'node:os';
import { LibcError, lastErrno, libcFunction } from '../../os/linux/libc.js';
import type { PtySize } from '../../core/protocol.js';

const ioctl = libcFunction('int ioctl(int fd, unsigned long request, ...)');

const O_CLOEXEC = 0o2000000;
const TIOCSWINSZ = 0x5414;
const TIOCGPGRP = 0x540f;
/** _IOW('T', 0x31, int) */
const TIOCSPTLCK = 0x40045431;
/** _IO('T', 0x41) */
const TIOCGPTPEER = 0x5441;
const GENERIC_IOCTL_ARCHES = new Set(['x64', 'ia32', 'arm', 'arm64', 'riscv64', 's390x', 'loong64']);

/** null when this runner can open ptys on this architecture, else why not. */
export function ptyArchitectureProblem(): string | null {
  return GENERIC_IOCTL_ARCHES.has(arch()) ? null : `no pty support for ${arch()} (its tty ioctl numbers differ)`;
}

export interface OpenPty {
  /** The master: the runner reads the command's output from it and types its input into it. */
  master: number;
  /** The slave: the command's stdin, stdout and stderr; the runner closes its copy once it has started. */
  slave: number;
}

/** A new pty of `size`, both ends close-on-exec (the child gets the slave as its stdio only). */
export function openPty(size: PtySize): OpenPty {
  const master = openSync('/dev/ptmx', constants.O_RDWR | constants.O_NOCTTY | O_CLOEXEC);
  try {
    const unlock = Buffer.alloc(4); // int 0: unlock the slave
    if (Number(ioctl(master, TIOCSPTLCK, 'void *', unlock)) !== 0) throw new LibcError('ioctl(/dev/ptmx, TIOCSPTLCK)', lastErrno());
    setWindowSize(master, size);
    const slave = Number(ioctl(master, TIOCGPTPEER, 'int', constants.O_RDWR | constants.O_NOCTTY | O_CLOEXEC));
    if (slave < 0) throw new LibcError('ioctl(/dev/ptmx, TIOCGPTPEER)', lastErrno());
    return { master, slave };
  } catch (err) {
    closeSync(master);
    throw err;
  }
}

/** struct winsize { unsigned short ws_row, ws_col, ws_xpixel, ws_ypixel; } */
export function winsize(size: PtySize): Buffer {
  const ws = Buffer.alloc(8);
  if (endianness() === 'LE') {
    ws.writeUInt16LE(size.rows, 0);
    ws.writeUInt16LE(size.cols, 2);
  } else {
    ws.writeUInt16BE(size.rows, 0);
    ws.writeUInt16BE(size.cols, 2);
  }
  return ws;
}

/** Set the window size on the master; the kernel sends SIGWINCH to the foreground group when it changed. */
export function setWindowSize(master: number, size: PtySize): void {
  if (Number(ioctl(master, TIOCSWINSZ, 'void *', winsize(size))) !== 0) throw new LibcError('ioctl(pty, TIOCSWINSZ)', lastErrno());
}

/** The pty's foreground process group (the job a shell runs in front), or null when there is none. */
export function foregroundGroup(master: number): number | null {
  const pgrp = Buffer.alloc(4);
  if (Number(ioctl(master, TIOCGPGRP, 'void *', pgrp)) !== 0) return null;
  const n = endianness() === 'LE' ? pgrp.readInt32LE(0) : pgrp.readInt32BE(0);
  return n > 0 ? n : null;
}

const TCGETS = 0x5401;
/** struct termios (the kernel's): c_iflag, c_oflag, c_cflag, c_lflag (4 bytes each), c_line, c_cc[19]. */
const TERMIOS_BYTES = 36;
const C_LFLAG = 12;
const C_CC = 17;
const VSUSP = 10;
const ISIG = 0o1;

/**
 * The pty's suspend character (^Z by default) while its line discipline makes signals of it
 * (ISIG), or null (raw mode: a full-screen program reads ^Z as a key). On a master, the termios
 * ioctls act on the slave's settings.
 */
export function suspendCharacter(master: number): number | null {
  const t = Buffer.alloc(TERMIOS_BYTES);
  if (Number(ioctl(master, TCGETS, 'void *', t)) !== 0) return null;
  const lflag = endianness() === 'LE' ? t.readUInt32LE(C_LFLAG) : t.readUInt32BE(C_LFLAG);
  const ch = t[C_CC + VSUSP]!;
  return (lflag & ISIG) !== 0 && ch !== 0 ? ch : null;
}
