// Files that leave state behind in a single ExifTool process, built from
// ExifTool's own samples or from scratch.

import { storedZip } from "../../samples/stored-zip";

/** An ICC profile whose rXYZ entry has a type ExifTool does not decode ("zzzz" in place of "XYZ "). */
export function iccWithUnsupportedRxyz(icc: Buffer): Buffer {
  const poisoned = Buffer.from(icc);
  const count = poisoned.readUInt32BE(128);
  for (let i = 0; i < count; i++) {
    const entry = 132 + 12 * i;
    if (poisoned.toString("latin1", entry, entry + 4) !== "rXYZ") continue;
    poisoned.write("zzzz", poisoned.readUInt32BE(entry + 4), "latin1");
    return poisoned;
  }
  throw new Error("the ICC profile has no rXYZ entry");
}

/** ue7, BPG's variable-length unsigned integer: 7 bits a byte, most significant first. */
function ue7(value: number): Buffer {
  const bytes = [value & 0x7f];
  for (let rest = value >>> 7; rest > 0; rest >>>= 7) bytes.unshift(0x80 | (rest & 0x7f));
  return Buffer.from(bytes);
}

/** A 16x16 BPG with no image data and `icc` as its ICC profile extension. */
export function bpgWithIcc(icc: Buffer): Buffer {
  const extension = Buffer.concat([Buffer.from([2]), ue7(icc.length), icc]);
  return Buffer.concat([
    Buffer.from("BPG\xfb", "latin1"),
    Buffer.from([0x40, 0x08]), // 4:2:0 8-bit; the extension-present flag
    ue7(16),
    ue7(16),
    ue7(0),
    ue7(extension.length),
    extension,
  ]);
}

const OFFICE_CONTENT_TYPES =
  '<?xml version="1.0" encoding="UTF-8" standalone="yes"?>\n<Types xmlns="http://schemas.openxmlformats.org/package/2006/content-types"><Default Extension="xml" ContentType="application/xml"/><Override PartName="/word/document.xml" ContentType="application/vnd.openxmlformats-officedocument.wordprocessingml.document.main+xml"/><Override PartName="/docProps/core.xml" ContentType="application/vnd.openxmlformats-package.core-properties+xml"/></Types>';

/**
 * A DOCX whose core properties use XML namespaces that XMP.pm maps to tag
 * tables of other files (Google.pm's GPano, Panasonic.pm's xmpDSA, XMP2.pl's
 * prism and xmpDM). OOXML.pm decodes a property through such a table only
 * if the table's file is loaded already, so one ExifTool process that read
 * a Google photo first prints `XMP-GPano:ProjectionType` where a new one
 * prints `XML:ProjectionType`.
 */
export function docxNamingOtherModulesTables(): Buffer {
  const core =
    '<?xml version="1.0" encoding="UTF-8" standalone="yes"?>\n<cp:coreProperties xmlns:cp="http://schemas.openxmlformats.org/package/2006/metadata/core-properties" xmlns:dc="http://purl.org/dc/elements/1.1/" xmlns:GPano="http://ns.google.com/photos/1.0/panorama/" xmlns:xmpDSA="http://ns.panasonic.com/DSA/1.0/" xmlns:prism="http://prismstandard.org/namespaces/basic/2.0/" xmlns:xmpDM="http://ns.adobe.com/xmp/1.0/DynamicMedia/">' +
    "<dc:title>Namespaces</dc:title><GPano:ProjectionType>equirectangular</GPano:ProjectionType><xmpDSA:Version>1.0</xmpDSA:Version><prism:aggregationType>journal</prism:aggregationType><xmpDM:album>Album</xmpDM:album></cp:coreProperties>";
  const document =
    '<?xml version="1.0" encoding="UTF-8" standalone="yes"?>\n<w:document xmlns:w="http://schemas.openxmlformats.org/wordprocessingml/2006/main"><w:body/></w:document>';
  return Buffer.concat(
    storedZip([
      { name: "[Content_Types].xml", data: Buffer.from(OFFICE_CONTENT_TYPES) },
      { name: "word/document.xml", data: Buffer.from(document) },
      { name: "docProps/core.xml", data: Buffer.from(core) },
    ]),
  );
}
