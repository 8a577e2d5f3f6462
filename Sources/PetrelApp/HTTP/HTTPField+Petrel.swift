public import HTTPTypes

extension HTTPField.Name {
    public static let requestID = HTTPField.Name("X-Request-ID")!
    public static let apiKey = HTTPField.Name("X-API-Key")!
    public static let referrerPolicy = HTTPField.Name("Referrer-Policy")!
}
