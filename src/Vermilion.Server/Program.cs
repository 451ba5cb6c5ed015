using System.Runtime.InteropServices;
using Vermilion.Server;

// vermilion-server [/path/to/redis.conf] [--name value ...], as redis-server takes its arguments.
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

using var server = new VermilionServer(config);
server.Log.Notice("oO0OoO0OoO0Oo Vermilion is starting oO0OoO0OoO0Oo");
server.Log.Notice($"Vermilion version={VermilionServer.VermilionVersion}, Redis compatibility={VermilionServer.RedisVersion}, bits=64, pid={Environment.ProcessId}, just started");
if (config.ConfigFile is null)
    server.Log.Warning("Warning: no config file specified, using the default config. In order to specify a config file use vermilion-server /path/to/redis.conf");
try
{
    server.Listen();
}
catch (ServerStartException e)
{
    server.Log.Warning(e.Message);
    return 1;
}

// As Redis: SIGTERM and SIGINT ask serverCron to shut down cleanly (listeners closed, unix socket and pid file removed).
using var term = PosixSignalRegistration.Create(PosixSignal.SIGTERM, ctx => { ctx.Cancel = true; server.Log.Warning("Received SIGTERM scheduling shutdown..."); server.RequestShutdown(); });
using var intr = PosixSignalRegistration.Create(PosixSignal.SIGINT, ctx => { ctx.Cancel = true; server.Log.Warning("Received SIGINT scheduling shutdown..."); server.RequestShutdown(); });
server.RunLoop();
return 0;
