namespace Vermilion;

/// <summary>COMMAND and its subcommands, answered from the command table's metadata.</summary>
public static class IntrospectionCommands
{
    public static void Register(CommandTable t)
    {
    }
}
