import PipelineCore
import PipelineTestKit
import Testing

@testable import PipelineAWS

/// The `aws` provider's settings, checked at load time with the file's lines.
@Suite struct AWSProviderTests {
    let loader = PipelineLoader(
        registry: StageRegistry(TestStages.all), providers: ProviderRegistry([AWSProvider.self]), environment: [:])

    func problems(_ yaml: String) -> [Diagnostic] {
        do {
            _ = try loader.load(text: yaml, file: "p.yml")
            return []
        } catch let error as PipelineError {
            return error.diagnostics
        } catch {
            return []
        }
    }

    // Moved from PipelineLoaderTests: the cluster check belongs to the aws provider now.
    @Test func awsTargetNeedsACluster() {
        let found = problems("target: {service: s}\nstages:\n  - uses: noop\n")
        #expect(found.map(\.path) == ["target.cluster"])
    }

    @Test func unknownSettingsAndProvidersAreNamedWithTheirLine() {
        let typo = problems("target:\n  cluster: c\n  service: s\n  regoin: eu-west-1\nstages:\n  - uses: noop\n")
        #expect(typo.count == 1)
        #expect(typo.first?.path == "target.regoin")
        #expect(typo.first?.location?.line == 4)
        let unknown = problems("target: {provider: gcp, service: s}\nstages:\n  - uses: noop\n")
        #expect(unknown.map(\.message) == ["unknown provider 'gcp'; expected aws"])
    }

    @Test func settingsAreGeneratedFromTheirDeclarations() {
        let names = AWSProvider.descriptor.settings.map(\.name)
        #expect(names == ["cluster", "service", "region", "endpoint_url", "profile"])
        #expect(AWSProvider.descriptor.settings.filter(\.required).map(\.name) == ["cluster", "service"])
    }
}
