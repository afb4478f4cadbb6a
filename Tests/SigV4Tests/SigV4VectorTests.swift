import Foundation
import XCTest

@testable import SigV4

/// Every request botocore signed (boto3 clients, the aws CLI, SigV4Auth) gets the verdict AWS would give.
final class SigV4VectorTests: XCTestCase {
    private func verifier(at seconds: Int64) -> SigV4Verifier {
        SigV4Verifier(now: { Date(timeIntervalSince1970: TimeInterval(seconds)) })
    }

    private func secret(for keyId: String) -> String? {
        keyId == SigV4Vector.keyId ? SigV4Vector.secret : nil
    }

    func testEveryVectorGetsItsVerdict() {
        XCTAssertGreaterThan(SigV4Vector.all.count, 50)
        for vector in SigV4Vector.all {
            let outcome = Result { () throws(SigV4Error) in
                try verifier(at: vector.now).verify(vector.request, secretFor: secret(for:))
            }
            switch (vector.expect, outcome) {
            case (.accept(let keyId), .success(let accepted)):
                XCTAssertEqual(accepted, keyId, vector.name)
            case (.reject(let code), .failure(let error)):
                XCTAssertEqual(error.code, code, "\(vector.name): \(error.message)")
            case (.accept, .failure(let error)):
                XCTFail("\(vector.name) [\(vector.source)] was refused: \(error)")
            case (.reject(let code), .success):
                XCTFail("\(vector.name) [\(vector.source)] was accepted, expected \(code)")
            }
        }
    }

    func testCanonicalRequestsMatchBotocoreByteForByte() throws {
        let vectors = SigV4Vector.all.filter { $0.canonicalRequest != nil }
        XCTAssertGreaterThan(vectors.count, 30)
        for vector in vectors {
            let parameters = try verifier(at: vector.now).signatureParameters(of: vector.request)
            let candidates = try SigV4Verifier.canonicalRequests(vector.request, parameters)
                .map { String(decoding: $0, as: UTF8.self) }
            XCTAssertTrue(
                candidates.contains(vector.canonicalRequest!),
                "\(vector.name): botocore\n\(vector.canonicalRequest!)\nours\n\(candidates.joined(separator: "\n--\n"))")
        }
    }

    func testVectorsCoverBothClientsTheCLIAndPresignedURLs() {
        let sources = Set(SigV4Vector.all.map(\.source))
        XCTAssertEqual(sources, ["boto3", "aws-cli", "SigV4Auth"])
        let services = Set(SigV4Vector.all.compactMap { vector -> String? in
            guard case .accept = vector.expect else { return nil }
            let auth = vector.headers.first { $0.0.lowercased() == "authorization" }?.1 ?? vector.query ?? ""
            return ["/iotdata/", "%2Fiotdata%2F", "/iot/", "/execute-api/"].first { auth.contains($0) }
        })
        XCTAssertTrue(services.isSuperset(of: ["/iotdata/", "/iot/", "%2Fiotdata%2F", "/execute-api/"]))
    }
}
