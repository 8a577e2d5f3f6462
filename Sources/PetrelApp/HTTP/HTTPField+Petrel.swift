public import HTTPTypes

extension HTTPField.Name {
    public static let requestID = HTTPField.Name("X-Request-ID")!
    public static let apiKey = HTTPField.Name("X-API-Key")!
}
