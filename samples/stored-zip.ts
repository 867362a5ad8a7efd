// A ZIP archive of members stored as they are (no compression), as the
// synthetic documents need: local headers with their data, the central
// directory, its end record. Dated 2024-01-01 12:00.
import { crc32 } from "node:zlib";

export interface ZipMember {
  name: string;
  data: Buffer;
}

/** The archive's parts, in order; Buffer.concat makes the file. */
export function storedZip(members: ZipMember[]): Buffer[] {
  const header = (signature: number, member: ZipMember, crc: number, offset?: number): Buffer => {
    const name = Buffer.from(member.name, "latin1");
    const central = offset !== undefined;
    const head = Buffer.alloc(central ? 46 : 30);
    let at = head.writeUInt32LE(signature, 0);
    if (central) at = head.writeUInt16LE(20, at); // version made by
    at = head.writeUInt16LE(20, at); // version needed
    at = head.writeUInt16LE(0, at); // flags
    at = head.writeUInt16LE(0, at); // stored
    at = head.writeUInt32LE(0x58216000, at); // 2024-01-01 12:00
    at = head.writeUInt32LE(crc, at);
    at = head.writeUInt32LE(member.data.length, at);
    at = head.writeUInt32LE(member.data.length, at);
    head.writeUInt16LE(name.length, at); // no extra field, comment, disk or attributes
    if (central) head.writeUInt32LE(offset, 42);
    return Buffer.concat([head, name]);
  };
  const locals: Buffer[] = [];
  const centrals: Buffer[] = [];
  let offset = 0;
  for (const member of members) {
    const crc = crc32(member.data);
    const local = Buffer.concat([header(0x04034b50, member, crc), member.data]);
    centrals.push(header(0x02014b50, member, crc, offset));
    locals.push(local);
    offset += local.length;
  }
  const directory = Buffer.concat(centrals);
  return [...locals, directory, endOfCentralDirectory(members.length, directory.length, offset)];
}

/** The end record of a one-disk archive: `count` members, their directory of `length` bytes at `offset`. */
export function endOfCentralDirectory(count: number, length: number, offset: number): Buffer {
  const end = Buffer.alloc(22);
  end.writeUInt32LE(0x06054b50, 0);
  end.writeUInt16LE(count, 8);
  end.writeUInt16LE(count, 10);
  end.writeUInt32LE(length, 12);
  end.writeUInt32LE(offset, 16);
  return end;
}
