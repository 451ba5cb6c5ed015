using Vermilion.Server;
using Vermilion.Service;

// vermilion-server [/path/to/redis.conf] [--name value ...], as redis-server takes its arguments.
// How it runs as a service (daemonize, supervised, signals, pid file) is told in Service/ServiceLifecycle.cs.
ServiceLifecycle.UnignoreShutdownSignals(); // before anything starts .NET's signal handling
if (args.Length == 1 && args[0] is "-v" or "--version")
{
    Console.WriteLine($"Redis server v={VermilionServer.RedisVersion} sha=00000000:0 malloc=dotnet bits=64 build=0 (Vermilion {VermilionServer.VermilionVersion})");
    return 0;
}
if (args.Length == 1 && args[0] is "-h" or "--help")
{
    Console.Error.WriteLine("Usage: ./vermilion-server [/path/to/redis.conf] [options] [-]\n       ./vermilion-server - (read config from stdin)\n       ./vermilion-server -v or --version\n       ./vermilion-server -h or --help\n\nExamples:\n       ./vermilion-server (run the server with default conf)\n       ./vermilion-server /etc/redis/6379.conf\n       ./vermilion-server --port 7777\n       ./vermilion-server /etc/myredis.conf --loglevel verbose");
    return 1;
}

// A config read from stdin is kept: a daemon's parent hands the same text to the child.
string? stdinConfig = null;
if (args.Length > 0 && args[0] == "-")
{
    stdinConfig = Console.In.ReadToEnd();
    Console.SetIn(new StringReader(stdinConfig));
}

Config config;
try
{
    config = Config.FromArgs(args);
}
catch (ConfigFileException e)
{
    // As Redis: a bad line is reported on stderr; a file that cannot be opened is a log line (stdout).
    (e.Unreadable ? Console.Out : Console.Error).Write(e.Report());
    return 1;
}
if (ServiceLifecycle.LogFileError(config) is { } logFileError)
{
    Console.Error.Write($"\n*** FATAL CONFIG FILE ERROR (Redis {VermilionServer.RedisVersion}) ***\n{logFileError}\n");
    return 1;
}

using var service = ServiceLifecycle.Begin(config, new Log(config));
if (service.MustDaemonize) return Daemon.RunParent(args, stdinConfig);

using var server = new VermilionServer(config);
service.Attach(server);
server.Log.Notice("oO0OoO0OoO0Oo Vermilion is starting oO0OoO0OoO0Oo");
server.Log.Notice($"Vermilion version={VermilionServer.VermilionVersion}, Redis compatibility={VermilionServer.RedisVersion}, bits=64, pid={Environment.ProcessId}, just started");
if (args.Length == 0)
    server.Log.Warning("Warning: no config file specified, using the default config. In order to specify a config file use vermilion-server /path/to/redis.conf");
else
    server.Log.Notice("Configuration loaded");
// Listen, then loadDataFromDisk (the AOF, else the RDB): clients that connect meanwhile get
// -LOADING, no command sees part of the data. READY=1 and the daemon's parent wait for the load.
try
{
    server.OpenListeners();
    // redisAsciiArt's facts (not its art), once listening as Redis: shown when asked or on a terminal, else the one line Redis logs instead.
    if (config.AlwaysShowLogo || !Console.IsOutputRedirected)
        server.Log.Raw($"\n    Vermilion {VermilionServer.VermilionVersion} (Redis {VermilionServer.RedisVersion} compatible) 64 bit\n    Running in {(config.ClusterEnabled ? "cluster" : "standalone")} mode\n    Port: {config.Port}\n    PID: {Environment.ProcessId}\n");
    else
        server.Log.Notice($"Running mode={(config.ClusterEnabled ? "cluster" : "standalone")}, port={config.Port}.");
    // SHUTDOWN or a signal during the load: Redis exits 0 from inside it, without saving.
    if (!server.Load()) return 0;
}
catch (ServerStartException e)
{
    if (!e.Logged) server.Log.Warning(e.Message);
    service.Failed(e.Message);
    return 1;
}
service.Started(server);
server.RunLoop();
service.Stopping();
return 0;
