import Hummingbird

/// The page's stylesheet, script and icon (the files beside this one), compiled in and served
/// from this origin, so the page's Content-Security-Policy can refuse every other source. With an
/// icon declared, a browser does not ask for `/favicon.ico` (a 404 in its console).
struct PageAssets {
    static let stylesheetPath = "/page.css"
    static let scriptPath = "/page.js"
    static let iconPath = "/page.svg"

    func add(to router: Router<PetrelRequestContext>) {
        Self.serve(PackageResources.page_css, at: Self.stylesheetPath, as: "text/css; charset=utf-8", on: router)
        Self.serve(PackageResources.page_js, at: Self.scriptPath, as: "text/javascript; charset=utf-8", on: router)
        Self.serve(PackageResources.favicon_svg, at: Self.iconPath, as: "image/svg+xml", on: router)
    }

    private static func serve(_ bytes: [UInt8], at path: String, as contentType: String, on router: Router<PetrelRequestContext>) {
        let body = ByteBuffer(bytes: bytes)
        // A new release may change them; five minutes of caching is plenty for a page this small.
        let headers: HTTPFields = [.contentType: contentType, .cacheControl: "max-age=300", .xContentTypeOptions: "nosniff"]
        router.get(RouterPath(path)) { _, _ in Response(status: .ok, headers: headers, body: .init(byteBuffer: body)) }
    }
}
