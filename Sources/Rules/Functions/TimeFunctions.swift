import Foundation
import IoTCore

/// `parse_time` and `time_to_epoch`. AWS takes Joda-Time / java.time patterns; ICU's date
/// patterns (which Foundation uses) share their letters for the common fields (y M d H m s S
/// E a z Z G and quoted text), so patterns are passed through unchanged.
enum TimeFunctions {
    static let all: [String: FunctionSpec] = [
        "parse_time": FunctionSpec(2...3) { a, _, _ in
            guard let pattern = Convert.string(a[0]), let ms = Convert.double(a[1]) else { return nil }
            var zone = TimeZone(identifier: "UTC")!
            if a.count == 3 {
                guard let name = Convert.string(a[2]), let z = TimeZone(identifier: name) else { return nil }
                zone = z
            }
            let f = formatter(pattern, zone)
            return .string(f.string(from: Date(timeIntervalSince1970: ms / 1000)))
        },
        "time_to_epoch": FunctionSpec(2...2) { a, _, _ in
            guard let text = Convert.string(a[0]), let pattern = Convert.string(a[1]) else { return nil }
            let utc = TimeZone(identifier: "UTC")!
            var date = formatter(pattern, utc).date(from: text)
            // java.time's VV also reads offsets like "UTC+01:00"; ICU's VV reads only zone ids,
            // so retry with ICU's GMT-offset field.
            if date == nil, pattern.contains("VV") {
                let offsetPattern = pattern.replacingOccurrences(of: "VV", with: "ZZZZ")
                date = formatter(offsetPattern, utc).date(from: text.replacingOccurrences(of: "UTC", with: "GMT"))
            }
            guard let date else { return nil }
            return .int(Int64((date.timeIntervalSince1970 * 1000).rounded()))
        },
    ]

    static func formatter(_ pattern: String, _ zone: TimeZone) -> DateFormatter {
        let f = DateFormatter()
        f.locale = Locale(identifier: "en_US_POSIX")
        f.timeZone = zone
        f.dateFormat = pattern
        return f
    }
}
