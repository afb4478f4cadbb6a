/// Request timestamps: the ISO 8601 basic form SigV4 signs (`20261127T000000Z`) and the HTTP `Date` form.
enum AmzDate {
    /// Seconds since 1970 for `yyyyMMdd'T'HHmmss'Z'`, or nil when the text is not exactly that.
    static func parseBasic(_ text: String) -> Int64? {
        let bytes = Array(text.utf8)
        guard bytes.count == 16, bytes[8] == UInt8(ascii: "T"), bytes[15] == UInt8(ascii: "Z") else { return nil }
        guard let year = number(bytes[0..<4]), let month = number(bytes[4..<6]), let day = number(bytes[6..<8]),
            let hour = number(bytes[9..<11]), let minute = number(bytes[11..<13]), let second = number(bytes[13..<15])
        else { return nil }
        return epochSeconds(year: year, month: month, day: day, hour: hour, minute: minute, second: second)
    }

    /// Seconds since 1970 for an HTTP date such as `Fri, 27 Nov 2026 00:00:00 GMT` (botocore sends `-0000`
    /// instead of `GMT`); numeric zones are honoured.
    static func parseHTTP(_ text: String) -> Int64? {
        var fields = text.split(separator: " ", omittingEmptySubsequences: true)
        if fields.first?.last == "," { fields.removeFirst() }
        guard fields.count == 5, let day = number(fields[0].utf8), let year = number(fields[2].utf8),
            let month = months.firstIndex(of: fields[1].lowercased()).map({ $0 + 1 })
        else { return nil }
        let clock = fields[3].split(separator: ":", omittingEmptySubsequences: false)
        guard clock.count == 3, let hour = number(clock[0].utf8), let minute = number(clock[1].utf8),
            let second = number(clock[2].utf8),
            let local = epochSeconds(year: year, month: month, day: day, hour: hour, minute: minute, second: second)
        else { return nil }
        let zone = fields[4]
        if ["GMT", "UTC", "UT", "Z"].contains(zone.uppercased()) { return local }
        let zoneBytes = Array(zone.utf8)
        guard zoneBytes.count == 5, zoneBytes[0] == UInt8(ascii: "+") || zoneBytes[0] == UInt8(ascii: "-"),
            let hours = number(zoneBytes[1..<3]), let minutes = number(zoneBytes[3..<5])
        else { return nil }
        let offset = Int64(hours * 3600 + minutes * 60)
        return zoneBytes[0] == UInt8(ascii: "+") ? local - offset : local + offset
    }

    /// `yyyyMMdd'T'HHmmss'Z'` in UTC.
    static func formatBasic(_ seconds: Int64) -> String {
        let days = seconds >= 0 ? seconds / 86_400 : (seconds - 86_399) / 86_400
        let secondOfDay = seconds - days * 86_400
        let (year, month, day) = civil(fromDays: days)
        return pad(year, 4) + pad(month, 2) + pad(day, 2) + "T" + pad(Int(secondOfDay / 3600), 2)
            + pad(Int(secondOfDay / 60 % 60), 2) + pad(Int(secondOfDay % 60), 2) + "Z"
    }

    private static let months = ["jan", "feb", "mar", "apr", "may", "jun", "jul", "aug", "sep", "oct", "nov", "dec"]

    private static func number<Digits: Collection<UInt8>>(_ digits: Digits) -> Int? {
        guard !digits.isEmpty, digits.count <= 9 else { return nil }
        var value = 0
        for digit in digits {
            guard digit >= UInt8(ascii: "0"), digit <= UInt8(ascii: "9") else { return nil }
            value = value * 10 + Int(digit - UInt8(ascii: "0"))
        }
        return value
    }

    private static func epochSeconds(year: Int, month: Int, day: Int, hour: Int, minute: Int, second: Int) -> Int64? {
        guard (1...12).contains(month), (1...31).contains(day), hour < 24, minute < 60, second < 61 else { return nil }
        // Howard Hinnant's days_from_civil: exact for the proleptic Gregorian calendar.
        let y = Int64(month <= 2 ? year - 1 : year)
        let era = (y >= 0 ? y : y - 399) / 400
        let yearOfEra = y - era * 400
        let shiftedMonth = Int64(month > 2 ? month - 3 : month + 9)
        let dayOfYear = (153 * shiftedMonth + 2) / 5 + Int64(day) - 1
        let dayOfEra = yearOfEra * 365 + yearOfEra / 4 - yearOfEra / 100 + dayOfYear
        let days = era * 146_097 + dayOfEra - 719_468
        return days * 86_400 + Int64(hour * 3600 + minute * 60 + second)
    }

    private static func civil(fromDays days: Int64) -> (Int, Int, Int) {
        let z = days + 719_468
        let era = (z >= 0 ? z : z - 146_096) / 146_097
        let dayOfEra = z - era * 146_097
        let yearOfEra = (dayOfEra - dayOfEra / 1460 + dayOfEra / 36524 - dayOfEra / 146_096) / 365
        let dayOfYear = dayOfEra - (365 * yearOfEra + yearOfEra / 4 - yearOfEra / 100)
        let shiftedMonth = (5 * dayOfYear + 2) / 153
        let day = dayOfYear - (153 * shiftedMonth + 2) / 5 + 1
        let month = shiftedMonth < 10 ? shiftedMonth + 3 : shiftedMonth - 9
        let year = yearOfEra + era * 400 + (month <= 2 ? 1 : 0)
        return (Int(year), Int(month), Int(day))
    }

    private static func pad(_ value: Int, _ width: Int) -> String {
        let digits = String(value)
        return String(repeating: "0", count: max(0, width - digits.count)) + digits
    }
}
