import PetrelBuildInfo

/// What was built: set at build time through the PetrelBuildInfo C target's macros.
public struct BuildInfo: Sendable, Codable {
    public let version: String
    public let commit: String
    public let buildDate: String

    public static let current = BuildInfo(
        version: String(cString: petrel_build_version()),
        commit: String(cString: petrel_build_git_commit()),
        buildDate: String(cString: petrel_build_date())
    )

    enum CodingKeys: String, CodingKey {
        case version, commit
        case buildDate = "build_date"
    }
}
