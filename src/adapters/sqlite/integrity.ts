/**
 * Start-up checks of the embedded store's files, run before SQLite opens them.
 *
 * The event log commits with the WAL fsynced at every commit, so an
 * acknowledged commit is a complete, checksummed run of WAL frames ending in
 * a commit frame. A crash in the middle of a write leaves a *torn tail*:
 * frames of an unfinished (never acknowledged) transaction, a frame cut short,
 * or frames whose checksum does not match. SQLite's recovery ignores such a
 * tail; this module finds it first so the operator gets a clear log line, and
 * refuses damage that would lose acknowledged commits (a broken WAL header, a
 * data file shorter than its own header says) instead of starting on it.
 *
 * WAL format: https://www.sqlite.org/fileformat2.html#walformat
 */
import { closeSync, existsSync, fstatSync, openSync, readSync } from 'node:fs';

export class DataFileError extends Error {
  override name = 'DataFileError';
}

export interface WalReport {
  /** Bytes of the WAL file. */
  bytes: number;
  /** Frames of committed transactions SQLite will recover. */
  committedFrames: number;
  /** Committed transactions in the WAL. */
  commits: number;
  /** Byte offset just past the last committed frame. */
  committedBytes: number;
  /** Bytes of the current WAL generation after the last commit: an unfinished write torn by a crash. */
  tornBytes: number;
  /** Why the tail is torn, when it is. */
  tornReason?: 'uncommitted-frames' | 'partial-frame' | 'bad-checksum';
}

const WAL_HEADER = 32;
const FRAME_HEADER = 24;

function checksum(buf: Buffer, start: number, end: number, bigEndian: boolean, s: [number, number]): [number, number] {
  let s0 = s[0];
  let s1 = s[1];
  for (let i = start; i < end; i += 8) {
    const x0 = bigEndian ? buf.readUInt32BE(i) : buf.readUInt32LE(i);
    const x1 = bigEndian ? buf.readUInt32BE(i + 4) : buf.readUInt32LE(i + 4);
    s0 = (s0 + x0 + s1) >>> 0;
    s1 = (s1 + x1 + s0) >>> 0;
  }
  return [s0, s1];
}

/** Positional reads of a file without loading it whole (a WAL can be large). */
class FileReader {
  private readonly fd: number;
  readonly size: number;
  constructor(file: string) {
    this.fd = openSync(file, 'r');
    this.size = fstatSync(this.fd).size;
  }
  read(offset: number, length: number): Buffer {
    const buf = Buffer.alloc(Math.max(0, Math.min(length, this.size - offset)));
    let done = 0;
    while (done < buf.length) {
      const n = readSync(this.fd, buf, done, buf.length - done, offset + done);
      if (n === 0) break;
      done += n;
    }
    return buf.subarray(0, done);
  }
  close(): void {
    closeSync(this.fd);
  }
}

/**
 * Reads a WAL file and tells what SQLite will recover from it. Throws
 * {@link DataFileError} when the header is damaged while frames follow it
 * (SQLite would silently ignore every commit in the file).
 */
export function inspectWal(walFile: string): WalReport | undefined {
  if (!existsSync(walFile)) return undefined;
  const file = new FileReader(walFile);
  try {
    return scanWal(walFile, file);
  } finally {
    file.close();
  }
}

function scanWal(walFile: string, file: FileReader): WalReport {
  const size = file.size;
  const report: WalReport = { bytes: size, committedFrames: 0, commits: 0, committedBytes: 0, tornBytes: 0 };
  if (size === 0) return report;
  // A header cut short: the crash hit the very first write of a new WAL, before any commit.
  if (size < WAL_HEADER) return { ...report, tornBytes: size, tornReason: 'partial-frame' };
  const header = file.read(0, WAL_HEADER);
  const magic = header.readUInt32BE(0);
  const pageSize = header.readUInt32BE(8);
  const bigEndian = magic === 0x377f0683;
  const headerOk =
    (magic === 0x377f0682 || magic === 0x377f0683) &&
    header.readUInt32BE(4) === 3007000 &&
    pageSize >= 512 &&
    pageSize <= 65536 &&
    (pageSize & (pageSize - 1)) === 0;
  let sum: [number, number] = headerOk ? checksum(header, 0, 24, bigEndian, [0, 0]) : [0, 0];
  if (!headerOk || sum[0] !== header.readUInt32BE(24) || sum[1] !== header.readUInt32BE(28)) {
    if (size === WAL_HEADER) return { ...report, tornBytes: size, tornReason: 'bad-checksum' };
    throw new DataFileError(
      `the write-ahead log ${walFile} has a damaged header, so SQLite would ignore the ${size - WAL_HEADER} bytes of commits after it; ` +
        'restore the data directory from a backup (agentview restore), or move the -wal file away to start without those commits',
    );
  }
  const salt1 = header.readUInt32BE(16);
  const salt2 = header.readUInt32BE(20);
  const frameSize = FRAME_HEADER + pageSize;
  let off = WAL_HEADER;
  let frames = 0;
  report.committedBytes = WAL_HEADER;
  let reason: WalReport['tornReason'];
  let end = off; // end of what belongs to the current generation
  while (off < size) {
    if (off + frameSize > size) {
      reason = 'partial-frame';
      end = size;
      break;
    }
    const frame = file.read(off, frameSize);
    // Frames of an older WAL generation (other salts) are leftovers SQLite overwrites; not a tear.
    if (frame.readUInt32BE(8) !== salt1 || frame.readUInt32BE(12) !== salt2) break;
    const s1 = checksum(frame, 0, 8, bigEndian, sum);
    const s2 = checksum(frame, FRAME_HEADER, frameSize, bigEndian, s1);
    if (s2[0] !== frame.readUInt32BE(16) || s2[1] !== frame.readUInt32BE(20)) {
      reason = 'bad-checksum';
      end = off + frameSize;
      break;
    }
    sum = s2;
    frames++;
    off += frameSize;
    end = off;
    if (frame.readUInt32BE(4) !== 0) {
      report.commits++;
      report.committedFrames = frames;
      report.committedBytes = off;
      reason = undefined;
    } else {
      reason = 'uncommitted-frames';
    }
  }
  // Leftover frames of older generations are always whole; bytes that do not fill a frame are a cut write.
  if (reason === undefined && (size - WAL_HEADER) % frameSize !== 0) {
    reason = 'partial-frame';
    end = size;
  }
  if (reason !== undefined && end > report.committedBytes) {
    report.tornBytes = end - report.committedBytes;
    report.tornReason = reason;
  }
  return report;
}

/**
 * Checks the main data file against its own header: it must be an SQLite
 * file and at least as long as the page count the header records.
 */
export function checkDataFile(path: string): void {
  if (!existsSync(path)) return;
  const file = new FileReader(path);
  try {
    if (file.size === 0) return; // created but never written: SQLite initialises it
    const buf = file.read(0, 100);
    if (buf.length < 100 || buf.subarray(0, 16).toString('latin1') !== 'SQLite format 3\u0000') {
      throw new DataFileError(
        `${path} is not an agentview data file (no SQLite header); restore it from a backup or point AGENTVIEW_DATA_DIR elsewhere`,
      );
    }
    const rawPageSize = buf.readUInt16BE(16);
    const pageSize = rawPageSize === 1 ? 65536 : rawPageSize;
    const pages = buf.readUInt32BE(28);
    const headerCountValid = buf.readUInt32BE(24) === buf.readUInt32BE(92);
    if (headerCountValid && pages > 0 && file.size < pages * pageSize) {
      throw new DataFileError(
        `${path} is truncated: its header records ${pages} pages of ${pageSize} bytes (${pages * pageSize} bytes) but the file has ${file.size} bytes; ` +
          'restore the data directory from a backup (agentview restore)',
      );
    }
  } finally {
    file.close();
  }
}
