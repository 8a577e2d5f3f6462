import Testing

@testable import PetrelApp

/// The write gate's state: a check may confirm the index only if nothing withdrew it meanwhile.
@Suite("Index verification")
struct IndexVerificationTests {
    @Test func aLookConfirmsOnlyWhenNothingWithdrewItMeanwhile() {
        let verification = IndexVerification()
        #expect(!verification.isVerified, "unverified until a check passes")

        let first = verification.beginLook()
        #expect(verification.confirm(since: first), "the first passing look verifies")
        #expect(verification.isVerified)
        #expect(!verification.confirm(since: verification.beginLook()), "already verified: nothing new")

        // A request sees the index gone while a check is looking: the check's older answer loses.
        let look = verification.beginLook()
        verification.withdraw()
        #expect(!verification.confirm(since: look))
        #expect(!verification.isVerified)

        // A look that began after the withdrawal may confirm again.
        let fresh = verification.beginLook()
        #expect(verification.confirm(since: fresh))
        #expect(verification.isVerified)

        // Two looks of the same generation: the second finds it already done.
        let stale = verification.withdraw()
        #expect(verification.confirm(since: stale))
        #expect(!verification.confirm(since: stale))
        #expect(verification.isVerified)
    }

    @Test func withdrawalsFromManyTasksAreNeverLost() async {
        let verification = IndexVerification()
        await withTaskGroup(of: Void.self) { group in
            for _ in 0..<8 {
                group.addTask {
                    for _ in 0..<1_000 {
                        let look = verification.beginLook()
                        verification.withdraw()
                        #expect(!verification.confirm(since: look), "a look older than a withdrawal never confirms")
                    }
                }
            }
        }
        #expect(!verification.isVerified)
    }
}
