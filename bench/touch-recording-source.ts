// A local file source that records every range the ExifTool worker asks for:
// run through the same worker as the engine, it measures the bytes ExifTool
// itself touches, the floor no S3 reader can go below.
import { LocalFileSource } from "./local-file-source";
import { RangeUnion } from "./ranges";

export class TouchRecordingSource extends LocalFileSource {
  readonly touched = new RangeUnion();

  override async read(offset: number, length: number): Promise<Buffer> {
    const data = await super.read(offset, length);
    this.touched.add(offset, offset + data.length);
    return data;
  }
}
