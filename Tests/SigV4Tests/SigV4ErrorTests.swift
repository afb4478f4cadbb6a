import Foundation
import XCTest

@testable import SigV4

/// Refusals carry AWS's codes, statuses and wording, so SDK users see the messages they know.
final class SigV4ErrorTests: XCTestCase {
    private let signedGet = SigV4Vector.named("iotdata GET named shadow")
    private let signingTime: Int64 = 1_795_782_896  // 20261127T123456Z

    private func refusal(
        _ request: SigV4Request, at seconds: Int64? = nil, services: Set<String> = ["iotdata", "iot", "execute-api"],
        secretFor: (String) throws -> String? = { $0 == SigV4Vector.keyId ? SigV4Vector.secret : nil }
    ) -> SigV4Error? {
        let now = seconds ?? signingTime
        let verifier = SigV4Verifier(services: services, now: { Date(timeIntervalSince1970: TimeInterval(now)) })
        do {
            _ = try verifier.verify(request, secretFor: secretFor)
            return nil
        } catch {
            return error
        }
    }

    private func replacingAuthorization(_ vector: SigV4Vector, _ transform: (String) -> String) -> SigV4Request {
        var request = vector.request
        request.headers = request.headers.map {
            $0.name.lowercased() == "authorization" ? (name: $0.name, value: transform($0.value)) : $0
        }
        return request
    }

    func testExpiredSignatureUsesAWSWording() {
        let error = refusal(signedGet.request, at: signingTime + 16 * 60)
        XCTAssertEqual(
            error,
            SigV4Error(
                code: "InvalidSignatureException",
                message: "Signature expired: 20261127T123456Z is now earlier than 20261127T123556Z "
                    + "(20261127T125056Z - 15 min.)", status: 403))
    }

    func testFutureSignatureUsesAWSWording() {
        let error = refusal(signedGet.request, at: signingTime - 16 * 60)
        XCTAssertEqual(
            error?.message,
            "Signature not yet current: 20261127T123456Z is still later than 20261127T123356Z "
                + "(20261127T121856Z + 15 min.)")
        XCTAssertEqual(error?.status, 403)
    }

    func testConfiguredSkewAppearsInTheMessage() {
        let verifier = SigV4Verifier(
            maxClockSkew: .seconds(5 * 60), now: { Date(timeIntervalSince1970: TimeInterval(1_795_782_896 + 301)) })
        XCTAssertThrowsError(try verifier.verify(signedGet.request) { _ in SigV4Vector.secret }) { error in
            XCTAssertTrue((error as? SigV4Error)?.message.hasSuffix("- 5 min.)") ?? false, "\(error)")
        }
    }

    func testUnknownAccessKeyIsUnrecognizedClient() {
        XCTAssertEqual(
            refusal(signedGet.request, secretFor: { _ in nil }),
            SigV4Error(
                code: "UnrecognizedClientException", message: "The security token included in the request is invalid.",
                status: 403))
    }

    func testWrongSecretIsSignatureDoesNotMatch() {
        XCTAssertEqual(
            refusal(signedGet.request, secretFor: { _ in "not-the-secret" }),
            SigV4Error(
                code: "SignatureDoesNotMatch",
                message: "The request signature we calculated does not match the signature you provided. "
                    + "Check your AWS Secret Access Key and signing method. "
                    + "Consult the service documentation for details.",
                status: 403))
    }

    func testServiceOutsideTheAllowedSetIsNamed() {
        let error = refusal(signedGet.request, services: ["iot"])
        XCTAssertEqual(error?.code, "InvalidSignatureException")
        XCTAssertEqual(error?.message, "Credential should be scoped to correct service: 'iot', not 'iotdata'.")
    }

    func testMissingSignedHeadersListsWhatIsMissingAndEchoesTheHeader() {
        let request = replacingAuthorization(signedGet) { $0.replacingOccurrences(of: ", SignedHeaders=host;x-amz-date", with: "") }
        let error = refusal(request)
        XCTAssertEqual(error?.code, "IncompleteSignatureException")
        XCTAssertEqual(error?.status, 403)
        XCTAssertTrue(
            error?.message.hasPrefix(
                "Authorization header requires 'SignedHeaders' parameter. Authorization=AWS4-HMAC-SHA256 Credential=")
                ?? false, "\(String(describing: error))")
    }

    func testMalformedPairNamesTheOffendingText() {
        let error = refusal(replacingAuthorization(signedGet) { _ in "AWS4-HMAC-SHA256 garbage" })
        XCTAssertEqual(
            error?.message,
            "'garbage' not a valid key=value pair (missing equal-sign) in Authorization header: 'AWS4-HMAC-SHA256 garbage'.")
    }

    func testCredentialDateMustMatchTheRequestDate() {
        let request = replacingAuthorization(signedGet) { $0.replacingOccurrences(of: "/20261127/", with: "/20261126/") }
        XCTAssertEqual(
            refusal(request)?.message,
            "Date in Credential scope does not match YYYYMMDD from ISO-8601 version of date from HTTP: "
                + "'20261126' != '20261127', from '20261127T123456Z'.")
    }

    func testMissingHostTellsTheHTTPLayerWhatToPass() {
        var request = signedGet.request
        request.headers.removeAll { $0.name.lowercased() == "host" }
        XCTAssertEqual(
            refusal(request)?.message, "The header 'host' is listed in SignedHeaders but is missing from the request.")
    }

    func testAlteredBodyUnderContentSHA256IsA400() {
        var request = SigV4Vector.named("X-Amz-Content-SHA256 header matching the body").request
        request.body += Array(" ".utf8)
        let error = refusal(request)
        XCTAssertEqual(error?.code, "XAmzContentSHA256Mismatch")
        XCTAssertEqual(error?.status, 400)
    }

    func testFailingKeyLookupIsAnInternalFailure() {
        struct StoreDown: Error {}
        let error = refusal(signedGet.request, secretFor: { _ in throw StoreDown() })
        XCTAssertEqual(error?.code, "InternalFailure")
        XCTAssertEqual(error?.status, 500)
    }

    func testRequestWithoutSignatureIsMissingAuthenticationToken() {
        let request = SigV4Request(method: "GET", path: "/things/t/shadow", headers: [("Host", "localhost")])
        XCTAssertEqual(refusal(request)?.code, "MissingAuthenticationTokenException")
    }

    func testIsSigV4RecognizesHeaderAndPresignedRequestsOnly() {
        XCTAssertTrue(SigV4Verifier.isSigV4(signedGet.request))
        XCTAssertTrue(SigV4Verifier.isSigV4(SigV4Vector.named("presigned query, SigV4QueryAuth").request))
        XCTAssertTrue(SigV4Verifier.isSigV4(SigV4Vector.named("SigV4a algorithm").request))
        let bearer = SigV4Request(
            method: "GET", path: "/health", query: "X-Amz-Date=1", headers: [("authorization", "Bearer abc")])
        XCTAssertFalse(SigV4Verifier.isSigV4(bearer))
        XCTAssertFalse(SigV4Verifier.isSigV4(SigV4Request(method: "GET", path: "/", query: "a=1", headers: [])))
    }
}

extension SigV4Vector {
    static func named(_ name: String) -> SigV4Vector {
        guard let vector = all.first(where: { $0.name == name }) else { fatalError("No vector named \(name)") }
        return vector
    }
}
