// The EventBridge envelope of a result event. The function sends it and rules
// match on it, so both sides must read it from one place.
export const EVENT_SOURCE = "s3-exiftool";
export const EVENT_DETAIL_TYPE = "ExifTool Metadata Extracted";
