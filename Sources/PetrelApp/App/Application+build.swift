public import Configuration
public import Hummingbird
public import Logging
public import ServiceLifecycle
public import NIOCore
public import HummingbirdCore
import Metrics
import Prometheus

/// The Petrel service: a Hummingbird application plus the shutdown sequence around it. Tests use
/// it like any Hummingbird application (`app.test(.router)`, `app.test(.live)`); `run()` adds the
/// signal handling and drain that production needs.
public struct PetrelApplication: ApplicationProtocol {
    public typealias Responder = RouterResponder<PetrelRequestContext>

    let application: Application<Responder>
    /// The admin listener (`ADMIN_PORT`): /metrics and the operator's endpoints. Tests reach it
    /// with `app.admin.test(…)`; `run()` serves it beside the public listener.
    public let admin: Application<Responder>
    let shutdown: ShutdownCoordinator
    let settings: PetrelConfiguration
    public let metrics: PetrelMetrics
    public let readiness: Readiness
    /// Every route served, as `GET /hello` (HEAD routes the router derives from GET are left out;
    /// an explicit one, such as `HEAD /hits`, is listed).
    public let routes: [String]
    /// The same for the admin listener.
    public let adminRoutes: [String]

    public var responder: Responder { application.responder }
    public var server: HTTPServerBuilder { application.server }
    public var eventLoopGroup: any EventLoopGroup { application.eventLoopGroup }
    public var configuration: ApplicationConfiguration { application.configuration }
    public var logger: Logger { application.logger }
    public var services: [any Service] { application.services }
    public var processesRunBeforeServerStart: [@Sendable () async throws -> Void] { application.processesRunBeforeServerStart }
    public func onServerRunning(_ channel: any Channel) async { await application.onServerRunning(channel) }

    /// Serves until SIGTERM or SIGINT, then drains and shuts down in order (see `ShutdownCoordinator`).
    /// Throws when the shutdown outlived `SHUTDOWN_TIMEOUT_SECONDS` (see `ShutdownDeadline`).
    /// Also bootstraps what exists once per process, which is why tests, building many
    /// applications in one process, use `runService()` or `test(_:)` instead: libraries' metrics
    /// go to the registry `/metrics` serves, and spans to the OTLP exporter when one is configured.
    public func run() async throws {
        MetricsSystem.bootstrap(PrometheusMetricsFactory(registry: metrics.registry))
        // The exporter starts first and stops last, so spans of the last requests are still flushed.
        let traceExporter = try TraceExport.bootstrap(settings, logger: logger)
        var configuration = ServiceGroupConfiguration(
            services: (traceExporter.map { [.init(service: $0)] } ?? []) + [
                // The public listener stops first; the admin one serves /metrics until it has.
                .init(service: admin),
                .init(service: application),
                .init(service: shutdown, successTerminationBehavior: .gracefullyShutdownGroup),
            ],
            logger: logger)
        // No timers of its own: the deadline below decides, and exits 1 where the group would crash.
        configuration.maximumGracefulShutdownDuration = nil
        configuration.maximumCancellationDuration = nil
        let group = ServiceGroup(configuration: configuration)
        let deadline = shutdown.deadline
        try await withThrowingTaskGroup(of: Bool.self) { tasks in
            tasks.addTask {
                try await group.run()
                return false
            }
            tasks.addTask {
                try await deadline.passed()
                return true
            }
            let overran = try await tasks.next() ?? false
            tasks.cancelAll()
            guard overran else { return }
            logger.error(
                "shutdown: SHUTDOWN_TIMEOUT_SECONDS passed with work still running, cancelling it",
                metadata: ["timeout_seconds": .stringConvertible(deadline.timeout.seconds)])
            deadline.exitUnlessStoppedInTime()
            _ = try? await tasks.next()
            throw ShutdownDeadline.Overrun(timeout: deadline.timeout)
        }
        logger.notice("shutdown: complete")
    }
}

/// Reads and validates the configuration, then builds the application.
/// Throws `ConfigurationError` naming the first bad setting.
public func buildApplication(reader: ConfigReader, logWriter: LogWriter = .standardOutput) async throws -> PetrelApplication {
    try await buildApplication(configuration: PetrelConfiguration(reader: reader), logWriter: logWriter)
}

public func buildApplication(configuration: PetrelConfiguration, logWriter: LogWriter = .standardOutput) async throws -> PetrelApplication {
    let identity = configuration.identity
    var logHandler = PetrelLogHandler(
        level: configuration.logLevel, format: configuration.logFormat, writer: logWriter,
        fixedFields: identity.pod.isEmpty ? [] : [("pod", identity.pod)])
    if configuration.tracingEnabled { logHandler.metadataProvider = TraceExport.logMetadata }
    let logger = Logger(label: "petrel") { [logHandler] _ in logHandler }
    let readiness = Readiness(minimumUptime: configuration.readyMinUptime)
    let metrics = PetrelMetrics(
        version: BuildInfo.current.version, environment: configuration.environment.rawValue,
        pod: identity.pod, node: identity.node)
    let faults = FaultInjector(errorRate: configuration.faultErrorRate, maximumDelayMilliseconds: configuration.faultDelayMilliseconds)
    let apiKeys = try APIKeys(path: configuration.apiKeysFile, environment: configuration.environment, metrics: metrics, logger: logger)
    let backends = try Backends(configuration: configuration, metrics: metrics, logger: logger)

    // The public listener: the API, the probes and the page.
    let routeTable = RouteTable()
    let router = makeRouter(configuration: configuration, metrics: metrics, routes: routeTable)
    router.add(middleware: FaultMiddleware(faults: faults))
    // Writes: one group, one API key check.
    let keyed = router.group().add(middleware: APIKeyMiddleware(keys: apiKeys))
    let page = StatusPage(configuration: configuration, readiness: readiness, counter: backends.counter, cities: backends.cities)
    InfoRoutes(configuration: configuration, readiness: readiness, page: page).add(to: router)
    PageAssets().add(to: router)
    HealthRoutes(readiness: readiness).add(to: router)
    HitsRoutes(store: backends.counter, metrics: metrics).add(to: router)
    CityRoutes(store: backends.cities).add(to: router, writes: keyed)
    OpenAPIRoutes().add(to: router)
    routeTable.set(router.routes.map { (path: $0.path.description, method: $0.method) })
    let routes = described(router.routes)

    // The admin listener: what operators and Prometheus use, never routed from the public edge.
    let adminRouteTable = RouteTable()
    let adminRouter = makeRouter(configuration: configuration, metrics: metrics, routes: adminRouteTable)
    let operations = adminRouter.group().add(middleware: APIKeyMiddleware(keys: apiKeys))
    MetricsRoutes(metrics: metrics, readiness: readiness).add(to: adminRouter)
    HealthRoutes(readiness: readiness).addSwitch(to: operations)
    FaultRoutes(faults: faults).add(to: adminRouter, operations: operations)
    adminRouteTable.set(adminRouter.routes.map { (path: $0.path.description, method: $0.method) })
    let adminRoutes = described(adminRouter.routes)

    // Backends start first and close last; the monitor stops before them.
    let services: [any Service] =
        [apiKeys] + backends.services + [
            DependencyMonitor(
                checks: backends.checks, interval: configuration.dependencyCheckInterval,
                readiness: readiness, metrics: metrics, logger: logger)
        ]

    let application = Application(
        router: router,
        server: HTTPServerBuilder { responder in
            PetrelHTTPChannel(responder: responder, limits: configuration.connectionLimits) { readiness.phase == .draining }
        },
        configuration: .init(
            address: .hostname(configuration.httpHost, port: configuration.httpPort), serverName: nil,
            availableConnectionsDelegate: MaximumAvailableConnections(configuration.connectionLimits.maxConnections, logger: logger)),
        services: services,
        onServerRunning: { channel in
            readiness.markServing()
            logger.notice(
                "listening",
                metadata: [
                    "address": "\(channel.localAddress?.description ?? "?")",
                    "port": .stringConvertible(channel.localAddress?.port ?? 0),
                    "version": .string(BuildInfo.current.version),
                    "environment": .string(configuration.environment.rawValue),
                ])
        },
        logger: logger
    )
    let admin = Application(
        router: adminRouter,
        server: HTTPServerBuilder { responder in
            PetrelHTTPChannel(responder: responder, limits: configuration.connectionLimits) { readiness.phase == .draining }
        },
        configuration: .init(address: .hostname(configuration.httpHost, port: configuration.adminPort), serverName: nil),
        onServerRunning: { channel in
            logger.notice(
                "admin listening",
                metadata: [
                    "address": "\(channel.localAddress?.description ?? "?")", "port": .stringConvertible(channel.localAddress?.port ?? 0),
                ])
        },
        logger: logger
    )
    return PetrelApplication(
        application: application,
        admin: admin,
        shutdown: ShutdownCoordinator(
            readiness: readiness, drain: configuration.shutdownDrain,
            deadline: ShutdownDeadline(timeout: configuration.shutdownTimeout, logger: logger, logWriter: logWriter),
            logger: logger, logWriter: logWriter),
        settings: configuration,
        metrics: metrics,
        readiness: readiness,
        routes: routes,
        adminRoutes: adminRoutes)
}

/// A router with what both listeners share: request ids, telemetry, one error shape and the body
/// limit. `routes` must be filled once the listener's routes are added: 405 needs to know them.
private func makeRouter(configuration: PetrelConfiguration, metrics: PetrelMetrics, routes: RouteTable) -> Router<PetrelRequestContext> {
    let router = Router(context: PetrelRequestContext.self, options: .autoGenerateHeadEndpoints)
    // Outside the telemetry middleware, so the request's log line carries its trace and span id.
    if configuration.tracingEnabled { router.add(middleware: TracingMiddleware()) }
    router.addMiddleware {
        RequestIDMiddleware()
        TelemetryMiddleware(metrics: metrics)
        ErrorMiddleware(routes: routes)
        BodyLimitMiddleware(maxBodyBytes: configuration.maxBodyBytes)
    }
    return router
}

private func described(_ routes: [Router<PetrelRequestContext>.RouteDescription]) -> [String] {
    routes.map { "\($0.method.rawValue) \($0.path)" }
}
