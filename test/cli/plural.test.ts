import { expect } from "chai";
import { plural } from "../../commands/plural";

describe("plural", () => {
  it("says one thing in the singular, any other count in the plural", () => {
    expect([0, 1, 2].map((n) => plural(n, "message"))).to.deep.equal([
      "0 messages",
      "1 message",
      "2 messages",
    ]);
    expect(plural(1, "entry", "entries")).to.equal("1 entry");
    expect(plural(3, "entry", "entries")).to.equal("3 entries");
  });
});
