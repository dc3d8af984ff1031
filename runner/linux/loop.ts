/**
 * Loop devices: a file attached to a free loop device in one call (LOOP_CONFIGURE, Linux 5.8+),
 * with LO_FLAGS_AUTOCLEAR, so the kernel detaches the device by itself when its last user goes
 * (the filesystem mounted from it is unmounted, or — when the mount failed — the descriptor
 * opened here is closed). Nothing of ours needs to remember a device number, and a runner killed
 * between the attach and the mount leaves no device behind.
 *
 * The device is found free with LOOP_CTL_GET_FREE; another process may take the same device
 * before LOOP_CONFIGURE (EBUSY), so a few tries are made. Sizes follow the backing file: after
 * the file grows, LOOP_SET_CAPACITY makes the device see it.
 */
import { closeSync, constants, openSync, readFileSync } from 'node:fs';
import { CorralError } from '../../core/errors.js';
import { errnoName, lastErrno, LibcError, libcFunction } from '../../os/linux/libc.js';

const O_CLOEXEC = 0o2000000;
const ioctl = libcFunction('int ioctl(int fd, unsigned long request, ...)');

const LOOP_SET_CAPACITY = 0x4c07;
const LOOP_CONFIGURE = 0x4c0a;
const LOOP_CTL_GET_FREE = 0x4c82;
const LO_FLAGS_AUTOCLEAR = 4;
const EBUSY = 16;
/** struct loop_config { u32 fd; u32 block_size; struct loop_info64 info (232 bytes); u64 reserved[8]; } */
const LOOP_CONFIG_SIZE = 304;
/** Offsets in loop_config: info starts at 8; lo_flags at info+52, lo_file_name[64] at info+56. */
const INFO = 8;
const LO_FLAGS = INFO + 52;
const LO_FILE_NAME = INFO + 56;
const LO_NAME_SIZE = 64;
const ATTACH_TRIES = 8;

export interface AttachedLoop {
  /** /dev/loopN */
  device: string;
  /** The open device: the caller closes it once the device is in use (mounted), or to let it go. */
  fd: number;
}

/** Attach the open file `fileFd` to a free loop device, autoclear. */
export function attachLoop(fileFd: number, fileName: string): AttachedLoop {
  let control: number;
  try {
    control = openSync('/dev/loop-control', constants.O_RDWR | O_CLOEXEC);
  } catch (err) {
    throw new CorralError('kernel_unsupported', `no loop devices on this host (/dev/loop-control: ${(err as NodeJS.ErrnoException).code ?? String(err)}): limits.homeBytes needs one to bound the home`, { cause: err });
  }
  try {
    for (let attempt = 0; ; attempt++) {
      const n = Number(ioctl(control, LOOP_CTL_GET_FREE, 'int', 0));
      if (n < 0) throw new LibcError('ioctl(/dev/loop-control, LOOP_CTL_GET_FREE)', lastErrno(), 'kernel_unsupported');
      const device = `/dev/loop${n}`;
      let fd: number;
      try {
        fd = openSync(device, constants.O_RDWR | O_CLOEXEC);
      } catch (err) {
        throw new CorralError('kernel_unsupported', `${device} cannot be opened (${(err as NodeJS.ErrnoException).code ?? String(err)}): limits.homeBytes needs a loop device`, { cause: err });
      }
      const config = Buffer.alloc(LOOP_CONFIG_SIZE);
      config.writeUInt32LE(fileFd, 0);
      config.writeUInt32LE(LO_FLAGS_AUTOCLEAR, LO_FLAGS);
      Buffer.from(fileName, 'utf8').copy(config, LO_FILE_NAME, 0, LO_NAME_SIZE - 1);
      if (Number(ioctl(fd, LOOP_CONFIGURE, 'void *', config)) === 0) return { device, fd };
      const errno = lastErrno();
      closeSync(fd);
      if (errno !== EBUSY || attempt + 1 >= ATTACH_TRIES) throw new LibcError(`ioctl(${device}, LOOP_CONFIGURE)`, errno);
    }
  } finally {
    closeSync(control);
  }
}

/** The device `device` sees its backing file's current size (after the file grew). */
export function refreshLoopCapacity(device: string): void {
  const fd = openSync(device, constants.O_RDWR | O_CLOEXEC);
  try {
    if (Number(ioctl(fd, LOOP_SET_CAPACITY, 'int', 0)) !== 0) {
      const errno = lastErrno();
      throw new CorralError('runner_failed', `ioctl(${device}, LOOP_SET_CAPACITY) failed: ${errnoName(errno)}`);
    }
  } finally {
    closeSync(fd);
  }
}

/**
 * The backing file of the block device `majorMinor` ("7:3") when it is a loop device, as the
 * kernel names it (a deleted file ends in " (deleted)"); null for any other device.
 */
export function loopBackingFile(majorMinor: string): string | null {
  if (!/^\d+:\d+$/.test(majorMinor)) return null;
  try {
    return readFileSync(`/sys/dev/block/${majorMinor}/loop/backing_file`, 'utf8').replace(/\n$/, '');
  } catch {
    return null;
  }
}
