/**
 * Per-connection "last error", as MongoDB 2.4 keeps it (db/lasterror.cpp):
 * every request but OP_KILL_CURSORS bumps `nPrev`; updates, removes and
 * failed operations reset it to 1 and record their outcome; a successful
 * insert records nothing (so 2.4's getLastError reports `n: 0` after
 * inserts). `getLastError` reports the record only when it describes the
 * operation just before it (nPrev == 1), else a blank one.
 */
import type { Document } from 'bson';
import { NULL_OPTIME, type OpTime } from '../oplog';

export class LastError {
  nPrev = 1;
  valid = false;
  err: string | null = null;
  code = 0;
  n = 0;
  updatedExisting: boolean | undefined;
  upserted: unknown;
  /** The connection's last write (Client::_lastOp), for `w`. */
  lastOp: OpTime = NULL_OPTIME;

  /** A new request arrived (LastErrorHolder's prepareErrForNewRequest). */
  startRequest(): void {
    this.nPrev++;
  }

  private reset(): void {
    this.valid = true;
    this.nPrev = 1;
    this.err = null;
    this.code = 0;
    this.n = 0;
    this.updatedExisting = undefined;
    this.upserted = undefined;
  }

  raiseError(code: number, message: string): void {
    this.reset();
    this.code = code;
    this.err = message;
  }

  recordUpdate(updatedExisting: boolean, n: number, upserted: unknown): void {
    this.reset();
    this.updatedExisting = updatedExisting;
    this.n = n;
    this.upserted = upserted;
  }

  recordDelete(n: number): void {
    this.reset();
    this.n = n;
  }

  /** resetError: forget the record. */
  clear(): void {
    this.reset();
    this.valid = false;
  }

  /** LastError::appendSelf: the record's fields (`err: null` only when `blankErr`). Returns whether it holds an error. */
  appendSelf(out: Document, blankErr: boolean): boolean {
    if (!this.valid) {
      if (blankErr) out.err = null;
      out.n = 0;
      return false;
    }
    if (this.err !== null) out.err = this.err;
    else if (blankErr) out.err = null;
    if (this.code) out.code = this.code;
    if (this.updatedExisting !== undefined) out.updatedExisting = this.updatedExisting;
    if (this.upserted !== undefined) out.upserted = this.upserted;
    out.n = this.n;
    return this.err !== null;
  }

  /**
   * What getLastError reports: it runs as a command that does not count as
   * an operation (disableForCommand), and shows the record only when it
   * belongs to the request just before it.
   */
  appendForGetLastError(out: Document): boolean {
    this.nPrev--;
    if (this.nPrev !== 1) {
      out.n = 0;
      return false;
    }
    return this.appendSelf(out, false);
  }

  /** getPrevError: the record whatever came since, with how many requests ago. */
  appendPrevError(out: Document): void {
    this.nPrev--;
    this.appendSelf(out, true);
    out.nPrev = this.valid ? this.nPrev : -1;
  }
}
