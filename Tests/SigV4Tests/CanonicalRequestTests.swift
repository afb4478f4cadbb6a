import XCTest

@testable import SigV4

/// Canonicalization rules in isolation, with botocore's outputs (from the vectors) as the expected values.
final class CanonicalRequestTests: XCTestCase {
    private func path(_ raw: String) -> String { String(decoding: CanonicalRequest.path(raw), as: UTF8.self) }

    private func query(_ raw: String?, _ form: CanonicalRequest.QueryForm) -> String {
        String(decoding: CanonicalRequest.query(raw, form: form), as: UTF8.self)
    }

    func testPathIsEncodedOnceMoreAfterTheWire() {
        XCTAssertEqual(path("/topics/a%2Fb%2Fc"), "/topics/a%252Fb%252Fc")
        XCTAssertEqual(path("/things/pump%3A0001_a-b/shadow"), "/things/pump%253A0001_a-b/shadow")
        XCTAssertEqual(path("/things/a:b~c/shadow"), "/things/a%3Ab~c/shadow")
    }

    func testPathDropsDotAndEmptySegmentsButKeepsTrailingSlash() {
        XCTAssertEqual(path("/things/./x//y/../t/shadow"), "/things/x/t/shadow")
        XCTAssertEqual(path("/things/t/"), "/things/t/")
        XCTAssertEqual(path("/"), "/")
        XCTAssertEqual(path(""), "/")
        XCTAssertEqual(path("/../.."), "/")
    }

    func testQueryIsSortedByNameThenValue() {
        XCTAssertEqual(query("pageSize=5&nextToken=a%2Fb", .reencoded), "nextToken=a%2Fb&pageSize=5")
        XCTAssertEqual(query("k=b&k=a&K=c", .reencoded), "K=c&k=a&k=b")
        XCTAssertEqual(query("flag&x=", .reencoded), "flag=&x=")
        XCTAssertEqual(query(nil, .reencoded), "")
    }

    func testQueryReencodingNormalizesWhatTheSpecificationRequires() {
        XCTAssertEqual(query("a=x,y&b=%2f&c=1+1&d=%7E", .reencoded), "a=x%2Cy&b=%2F&c=1%2B1&d=~")
        XCTAssertEqual(query("a=x,y&b=%2f", .asReceived), "a=x,y&b=%2f")
    }

    func testPresignedSignatureParameterIsLeftOut() {
        XCTAssertEqual(
            String(
                decoding: CanonicalRequest.query("b=1&X-Amz-Signature=abc&a=2", form: .reencoded, excluding: "X-Amz-Signature"),
                as: UTF8.self),
            "a=2&b=1")
    }
}
