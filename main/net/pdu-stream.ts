// The bytes of one DICOM connection, split as PS3.8 9.3 encodes them, before dcmjs-dimse sees them.
//
// dcmjs-dimse reassembles every PDU in memory (a Buffer.concat per socket read) and handles every
// PDV through objects, promises and events: about 65 ms of a loaded 2-core machine's time per
// 17 MB mammogram, as long as dcmtk's storescp takes for the whole image. So the data set
// fragments of a C-STORE take a shorter road: their bytes go straight from the socket's buffers
// to the file being written (slices, never copied), and dcmjs-dimse is handed the same PDV
// headers with no data, which drive its C-STORE as before (stream opened on the first fragment,
// ended on the last, the command answered). Everything else (association, commands, release,
// abort) reaches dcmjs-dimse byte for byte. PDUs of an unknown type or longer than allowed end the
// connection before any of it is gathered in memory.

/** P-DATA-TF (PS3.8 9.3.5). */
const P_DATA_TF = 0x04;
const COMMAND = 0x01;
const LAST = 0x02;

export interface PduStreamHandlers {
  /** Bytes for dcmjs-dimse's own reader: whole PDUs, or pieces of one in order. */
  passOn(bytes: Buffer): void;
  /** Whether the data set fragment about to arrive belongs to a C-STORE whose data set this side writes. */
  takesDataset(): boolean;
  /** A piece of a C-STORE data set, in order (a slice of the socket's buffer). */
  datasetBytes(bytes: Buffer): void;
  /** The connection broke the protocol: it must end. */
  violation(reason: string): void;
}

export interface PduLimits {
  /** Longest P-DATA-TF accepted (the maximum advertised, plus its 6-byte header's worth of slack). */
  maxPData: number;
  /** Longest PDU of any other type (an A-ASSOCIATE-RQ with many presentation contexts). */
  maxOther: number;
  /**
   * Most bytes of one message's fragments that dcmjs-dimse gathers in memory (a command, or a
   * data set this side does not write), up to its last fragment: a caller that never sends the last
   * one would otherwise fill the memory of the process the receiver runs in.
   */
  maxGathered: number;
}

type State =
  | { at: 'pdu-header' }
  | { at: 'other-pdu'; remaining: number }
  | { at: 'pdv-header'; pduRemaining: number }
  | { at: 'pdv-data'; pduRemaining: number; pdvRemaining: number; pcId: number; control: number; mine: boolean; command: Buffer[] };

/** Splits a connection's bytes (see the file's comment); one instance per connection. */
export class PduStream {
  private state: State = { at: 'pdu-header' };
  private readonly header = Buffer.alloc(6);
  private headerBytes = 0;
  /** A data set is being written by this side (its first fragment was announced to dcmjs-dimse). */
  private inDataset = false;
  private broken = false;
  /** Bytes of the message dcmjs-dimse is gathering, since its last fragment ended the one before. */
  private gathered = 0;

  constructor(private readonly limits: PduLimits, private readonly on: PduStreamHandlers) {}

  /**
   * Copies what the 6-byte header (a PDU's, or a PDV's) still lacks from `chunk` at `at`: where the
   * chunk goes on once it is whole, or -1 when the chunk ended first (the rest comes with the next).
   */
  private fillHeader(chunk: Buffer, at: number): number {
    const take = Math.min(6 - this.headerBytes, chunk.length - at);
    chunk.copy(this.header, this.headerBytes, at, at + take);
    this.headerBytes += take;
    if (this.headerBytes < 6) return -1;
    this.headerBytes = 0;
    return at + take;
  }

  push(chunk: Buffer): void {
    let at = 0;
    while (at < chunk.length && !this.broken) {
      const state = this.state;
      switch (state.at) {
        case 'pdu-header': {
          at = this.fillHeader(chunk, at);
          if (at < 0) return;
          const type = this.header[0]!;
          const length = this.header.readUInt32BE(2);
          if (type < 0x01 || type > 0x07) return this.fail(`a PDU of unknown type ${type}`);
          if (length > (type === P_DATA_TF ? this.limits.maxPData : this.limits.maxOther)) return this.fail(`a PDU of type ${type} and ${length} bytes`);
          if (type === P_DATA_TF) {
            if (length < 6) return this.fail('an empty P-DATA-TF');
            this.state = { at: 'pdv-header', pduRemaining: length };
          } else {
            this.on.passOn(Buffer.from(this.header));
            this.state = { at: 'other-pdu', remaining: length };
            if (length === 0) this.state = { at: 'pdu-header' };
          }
          break;
        }
        case 'other-pdu': {
          const take = Math.min(state.remaining, chunk.length - at);
          this.on.passOn(chunk.subarray(at, at + take));
          at += take;
          state.remaining -= take;
          if (state.remaining === 0) this.state = { at: 'pdu-header' };
          break;
        }
        case 'pdv-header': {
          at = this.fillHeader(chunk, at);
          if (at < 0) return;
          const itemLength = this.header.readUInt32BE(0);
          const pcId = this.header[4]!;
          const control = this.header[5]!;
          if (itemLength < 2 || itemLength + 4 > state.pduRemaining) return this.fail('a PDV longer than its PDU');
          const mine = (control & COMMAND) === 0 && (this.inDataset || this.on.takesDataset());
          if (mine && !this.inDataset) {
            // dcmjs-dimse opens the data set's stream (Scp.createStoreWritableStream) on its first fragment
            this.inDataset = true;
            this.on.passOn(emptyPdv(pcId, control & ~LAST));
          }
          if (!mine) {
            this.gathered += itemLength - 2;
            if (this.gathered > this.limits.maxGathered) return this.fail(`a command or data set of more than ${this.limits.maxGathered} bytes gathered in memory`);
          }
          const data: Extract<State, { at: 'pdv-data' }> = { at: 'pdv-data', pduRemaining: state.pduRemaining - 6, pdvRemaining: itemLength - 2, pcId, control, mine, command: [] };
          this.state = data;
          if (itemLength === 2) this.endPdv(data);
          break;
        }
        case 'pdv-data': {
          const take = Math.min(state.pdvRemaining, chunk.length - at);
          const piece = chunk.subarray(at, at + take);
          if (state.mine) this.on.datasetBytes(piece);
          else state.command.push(Buffer.from(piece)); // small (a command, or a query's identifier): kept until its PDV ends
          at += take;
          state.pdvRemaining -= take;
          state.pduRemaining -= take;
          if (state.pdvRemaining === 0) this.endPdv(state);
          break;
        }
      }
    }
  }

  private endPdv(state: Extract<State, { at: 'pdv-data' }>): void {
    if (state.mine) {
      // the last fragment: dcmjs-dimse ends the stream and answers the C-STORE once it is on disk
      if (state.control & LAST) {
        this.inDataset = false;
        this.on.passOn(emptyPdv(state.pcId, state.control));
      }
    } else {
      if (state.control & LAST) this.gathered = 0;
      const value = Buffer.concat(state.command);
      const pdu = Buffer.alloc(12);
      pdu[0] = P_DATA_TF;
      pdu.writeUInt32BE(value.length + 6, 2);
      pdu.writeUInt32BE(value.length + 2, 6);
      pdu[10] = state.pcId;
      pdu[11] = state.control;
      this.on.passOn(Buffer.concat([pdu, value]));
    }
    this.state = state.pduRemaining > 0 ? { at: 'pdv-header', pduRemaining: state.pduRemaining } : { at: 'pdu-header' };
  }

  private fail(reason: string): void {
    this.broken = true;
    this.on.violation(reason);
  }
}

/** A P-DATA-TF PDU of one PDV with no data: its presentation context and message control header only. */
function emptyPdv(pcId: number, control: number): Buffer {
  return Buffer.from([P_DATA_TF, 0, 0, 0, 0, 6, 0, 0, 0, 2, pcId, control]);
}
