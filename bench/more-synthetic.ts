// Large files of known layout that samples/synthetic.ts does not make: a PDF
// read from its end and a ZIP-based document whose small members follow a
// large one. Streamed in chunks like the others, so size costs no memory.
import { crc32 } from "node:zlib";
import { composeFile, filler, partSize, type Part, type SyntheticFile } from "../samples/synthetic";
import { endOfCentralDirectory } from "../samples/stored-zip";

const latin1 = (text: string): Buffer => Buffer.from(text, "latin1");
/** Fixed-width numbers keep every offset independent of the filler's size. */
const pad = (value: number, width: number): string => String(value).padStart(width, "0");

/** A one-page PDF whose Info dictionary, xref table and trailer follow one large content stream. */
export function pdf(totalBytes: number): SyntheticFile {
  const head = latin1("%PDF-1.4\n%\xe2\xe3\xcf\xd3\n");
  const streamHead = (length: number): Buffer =>
    latin1(`1 0 obj\n<< /Length ${pad(length, 12)} >>\nstream\n`);
  const streamTail = latin1("\nendstream\nendobj\n");
  const objects = [
    "<< /Type /Catalog /Pages 3 0 R >>",
    "<< /Type /Pages /Kids [4 0 R] /Count 1 >>",
    "<< /Type /Page /Parent 3 0 R /MediaBox [0 0 612 792] /Contents 1 0 R >>",
    "<< /Title (Synthetic large PDF) /Author (s3-exiftool bench) /Producer (bench/more-synthetic.ts) /CreationDate (D:20240101120000Z) >>",
  ];
  const tail = (streamStart: number, streamEnd: number): Buffer => {
    const offsets = [streamStart];
    let text = "";
    objects.forEach((body, i) => {
      offsets.push(streamEnd + text.length);
      text += `${i + 2} 0 obj\n${body}\nendobj\n`;
    });
    const xref = streamEnd + text.length;
    text += `xref\n0 ${objects.length + 2}\n0000000000 65535 f \n`;
    for (const offset of offsets) text += `${pad(offset, 10)} 00000 n \n`;
    text += `trailer\n<< /Size ${objects.length + 2} /Root 2 0 R /Info 5 0 R >>\n`;
    text += `startxref\n${pad(xref, 12)}\n%%EOF\n`;
    return latin1(text);
  };
  const fixed = head.length + streamHead(0).length + streamTail.length + tail(0, 0).length;
  const length = totalBytes - fixed;
  const streamEnd = head.length + streamHead(length).length + length + streamTail.length;
  const parts = (): Part[] => [
    head,
    streamHead(length),
    { filler: length },
    streamTail,
    tail(head.length, streamEnd),
  ];
  return composeFile("large.pdf", "Info, xref and trailer after a large stream", parts());
}

interface Member {
  name: string;
  data: Part;
}

const DOS_TIME = 0x6000; // 12:00:00
const DOS_DATE = 0x5821; // 2024-01-01

function zipHeader(signature: number, member: Member, crc: number, offset?: number): Buffer {
  const name = latin1(member.name);
  const size = partSize(member.data);
  const central = offset !== undefined;
  const header = Buffer.alloc(central ? 46 : 30);
  let at = header.writeUInt32LE(signature, 0);
  if (central) at = header.writeUInt16LE(20, at); // version made by
  at = header.writeUInt16LE(20, at); // version needed
  at = header.writeUInt16LE(0, at); // flags: sizes known up front
  at = header.writeUInt16LE(0, at); // stored
  at = header.writeUInt16LE(DOS_TIME, at);
  at = header.writeUInt16LE(DOS_DATE, at);
  at = header.writeUInt32LE(crc, at);
  at = header.writeUInt32LE(size, at);
  at = header.writeUInt32LE(size, at);
  at = header.writeUInt16LE(name.length, at);
  at = header.writeUInt16LE(0, at); // extra field
  if (central) {
    at = header.writeUInt16LE(0, at); // comment
    at = header.writeUInt16LE(0, at); // disk
    at = header.writeUInt16LE(0, at); // internal attributes
    at = header.writeUInt32LE(0, at); // external attributes
    header.writeUInt32LE(offset, at);
  }
  return Buffer.concat([header, name]);
}

function memberCrc({ data }: Member): number {
  if (Buffer.isBuffer(data)) return crc32(data);
  let crc = 0;
  for (const chunk of filler(data.filler, data.unit)) crc = crc32(chunk, crc);
  return crc;
}

const CONTENT_TYPES =
  '<?xml version="1.0" encoding="UTF-8" standalone="yes"?>\n<Types xmlns="http://schemas.openxmlformats.org/package/2006/content-types"><Default Extension="xml" ContentType="application/xml"/><Default Extension="bin" ContentType="application/octet-stream"/><Override PartName="/word/document.xml" ContentType="application/vnd.openxmlformats-officedocument.wordprocessingml.document.main+xml"/><Override PartName="/docProps/core.xml" ContentType="application/vnd.openxmlformats-package.core-properties+xml"/></Types>';
const DOCUMENT =
  '<?xml version="1.0" encoding="UTF-8" standalone="yes"?>\n<w:document xmlns:w="http://schemas.openxmlformats.org/wordprocessingml/2006/main"><w:body><w:p><w:r><w:t>Synthetic</w:t></w:r></w:p></w:body></w:document>';
const CORE =
  '<?xml version="1.0" encoding="UTF-8" standalone="yes"?>\n<cp:coreProperties xmlns:cp="http://schemas.openxmlformats.org/package/2006/metadata/core-properties" xmlns:dc="http://purl.org/dc/elements/1.1/" xmlns:dcterms="http://purl.org/dc/terms/" xmlns:xsi="http://www.w3.org/2001/XMLSchema-instance"><dc:title>Synthetic large document</dc:title><dc:creator>s3-exiftool bench</dc:creator><cp:lastModifiedBy>bench</cp:lastModifiedBy><dcterms:created xsi:type="dcterms:W3CDTF">2024-01-01T12:00:00Z</dcterms:created></cp:coreProperties>';

/** A DOCX (stored ZIP) with a large media member before docProps/core.xml, central directory last. */
export function docx(totalBytes: number): SyntheticFile {
  const small: Member[] = [
    { name: "[Content_Types].xml", data: latin1(CONTENT_TYPES) },
    { name: "word/document.xml", data: latin1(DOCUMENT) },
  ];
  const core: Member = { name: "docProps/core.xml", data: latin1(CORE) };
  const bigName = "word/media/video1.bin";
  const overhead = (members: Member[]): number =>
    members.reduce((sum, m) => sum + 30 + 46 + 2 * m.name.length + partSize(m.data), 0) + 22;
  const bigSize = totalBytes - overhead([...small, core, { name: bigName, data: { filler: 0 } }]);
  const members = [...small, { name: bigName, data: { filler: bigSize } }, core];
  return composeFile(
    "large.docx",
    "docProps after a large member, central directory last",
    zipParts(members),
  );
}

/** A stored ZIP of `members`: each local header and its data, then the central directory, then its end record. */
function zipParts(members: Member[]): Part[] {
  const locals: Part[] = [];
  const centrals: Buffer[] = [];
  let offset = 0;
  for (const member of members) {
    const crc = memberCrc(member);
    const local = zipHeader(0x04034b50, member, crc);
    centrals.push(zipHeader(0x02014b50, member, crc, offset));
    locals.push(local, member.data);
    offset += local.length + partSize(member.data);
  }
  const directory = Buffer.concat(centrals);
  return [...locals, directory, endOfCentralDirectory(members.length, directory.length, offset)];
}

/**
 * A ZIP of `count` small members (at most 65,535: no ZIP64): ExifTool reads
 * its central directory, `count` entries, front to back in small pieces.
 */
export function manyMemberZip(count: number): SyntheticFile {
  const members = Array.from({ length: count }, (_, i) => ({
    name: `member/${pad(i, 6)}.txt`,
    data: latin1(`member ${i}\n`),
  }));
  return composeFile(
    `members-${count}.zip`,
    `${count} small members, central directory last`,
    zipParts(members),
  );
}

/**
 * A PDF of `count` small objects, so that its xref table (20 bytes per
 * object, after the objects, as writers put it) is large: ExifTool reads the
 * table front to back, a line at a time.
 */
export function pdfWithLargeXref(count: number): SyntheticFile {
  const head = "%PDF-1.4\n%\xe2\xe3\xcf\xd3\n";
  const fixed = [
    "<< /Type /Catalog /Pages 2 0 R >>",
    "<< /Type /Pages /Kids [3 0 R] /Count 1 >>",
    "<< /Type /Page /Parent 2 0 R /MediaBox [0 0 612 792] >>",
    "<< /Title (Large xref) /Author (s3-exiftool bench) /Producer (bench/more-synthetic.ts) >>",
  ];
  const bodies = [
    ...fixed,
    ...Array.from({ length: count - fixed.length }, (_, i) => `(filler ${pad(i, 6)})`),
  ];
  let text = head;
  const offsets: number[] = [];
  bodies.forEach((body, i) => {
    offsets.push(text.length);
    text += `${i + 1} 0 obj\n${body}\nendobj\n`;
  });
  const xref = text.length;
  text += `xref\n0 ${count + 1}\n0000000000 65535 f \n`;
  text += offsets.map((offset) => `${pad(offset, 10)} 00000 n \n`).join("");
  text += `trailer\n<< /Size ${count + 1} /Root 1 0 R /Info 4 0 R >>\nstartxref\n${xref}\n%%EOF\n`;
  return composeFile(`xref-${count}.pdf`, `${count} objects, xref table last`, [latin1(text)]);
}
