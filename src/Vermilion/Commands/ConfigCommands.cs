namespace Vermilion;

/// <summary>CONFIG GET/SET/RESETSTAT/REWRITE/HELP over the configuration table.</summary>
public static class ConfigCommands
{
    public static void Register(CommandTable t)
    {
    }
}
