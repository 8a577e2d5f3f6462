public import Configuration
public import Hummingbird
public import Logging
public import ServiceLifecycle
public import NIOCore
public import HummingbirdCore

/// The Petrel service: a Hummingbird application plus the shutdown sequence around it. Tests use
/// it like any Hummingbird application (`app.test(.router)`, `app.test(.live)`); `run()` adds the
/// signal handling and drain that production needs.
public struct PetrelApplication: ApplicationProtocol {
    public typealias Responder = RouterResponder<PetrelRequestContext>

    let application: Application<Responder>
    let shutdown: ShutdownCoordinator
    public let metrics: PetrelMetrics
    public let readiness: Readiness
    /// Every route served, as `GET /hello` (HEAD routes the router derives from GET are left out;
    /// an explicit one, such as `HEAD /hits`, is listed).
    public let routes: [String]
    /// Services that must outlive the application, such as the trace exporter (see `TraceExport`):
    /// they start first and stop last, so spans of the last requests are still flushed.
    public var telemetryServices: [any Service] = []

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
    public func run() async throws {
        var configuration = ServiceGroupConfiguration(
            services: telemetryServices.map { .init(service: $0) } + [
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
    let routeTable = RouteTable()

    let router = Router(context: PetrelRequestContext.self, options: .autoGenerateHeadEndpoints)
    // Outside the telemetry middleware, so the request's log line carries its trace and span id.
    if configuration.tracingEnabled { router.add(middleware: TracingMiddleware()) }
    let faults = FaultInjector(errorRate: configuration.faultErrorRate, maximumDelayMilliseconds: configuration.faultDelayMilliseconds)
    let telemetry = RequestTelemetry(metrics: metrics, accessLog: AccessLog(handler: logHandler))
    router.add(
        middleware: PetrelMiddleware(
            requestID: RequestIDMiddleware(),
            telemetry: TelemetryMiddleware(telemetry: telemetry),
            errors: ErrorMiddleware(routes: routeTable, logger: logger),
            bodyLimit: BodyLimitMiddleware(maxBodyBytes: configuration.maxBodyBytes),
            faults: FaultMiddleware(faults: faults)))

    let apiKeys = try APIKeys(path: configuration.apiKeysFile, environment: configuration.environment, logger: logger)
    let info = InfoRoutes(configuration: configuration, readiness: readiness)
    info.add(to: router)
    let health = HealthRoutes(readiness: readiness, apiKeys: apiKeys, logger: logger)
    health.add(to: router)
    MetricsRoutes(metrics: metrics, readiness: readiness).add(to: router)
    let backends = try Backends(configuration: configuration, metrics: metrics, logger: logger)
    HitsRoutes(store: backends.counter, metrics: metrics).add(to: router)
    CityRoutes(store: backends.cities, apiKeys: apiKeys).add(to: router)
    FaultRoutes(faults: faults, apiKeys: apiKeys, logger: logger).add(to: router)
    OpenAPIRoutes().add(to: router)
    let served = router.routes.map { (path: $0.path.description, method: $0.method) }
    routeTable.set(served)

    // Backends start first and close last; the monitor stops before them.
    let services: [any Service] =
        [apiKeys] + backends.services + [
            DependencyMonitor(
                checks: backends.checks, interval: configuration.dependencyCheckInterval,
                readiness: readiness, metrics: metrics, logger: logger)
        ]

    let instantRoutes = Dictionary(uniqueKeysWithValues: (info.instantRoutes + health.instantRoutes).map { ($0.path, $0) })
    let date = HTTPDate()
    let application = Application(
        router: router,
        server: HTTPServerBuilder { responder in
            PetrelHTTP1Channel(http1: HTTP1Channel(responder: responder)) {
                // With tracing on, every request goes through the router, where its server span is opened.
                configuration.tracingEnabled
                    ? nil : EventLoopResponder(routes: instantRoutes, telemetry: telemetry, faults: faults, date: date)
            }
        },
        configuration: .init(address: .hostname(configuration.httpHost, port: configuration.httpPort), serverName: nil),
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
    return PetrelApplication(
        application: application,
        shutdown: ShutdownCoordinator(
            readiness: readiness, drain: configuration.shutdownDrain,
            deadline: ShutdownDeadline(timeout: configuration.shutdownTimeout, logger: logger, logWriter: logWriter),
            logger: logger, logWriter: logWriter),
        metrics: metrics,
        readiness: readiness,
        routes: served.map { "\($0.method.rawValue) \($0.path)" })
}
