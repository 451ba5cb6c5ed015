namespace Vermilion.Commands;

/// <summary>
/// Binds the method it sits on, a <see cref="CommandProc"/>, to a command's metadata by name:
/// <c>[Command("get")]</c>, or <c>[Command("client|kill")]</c> for a subcommand; once per name when
/// one method serves several (GETRANGE and SUBSTR). <see cref="GetKeys"/> names the family's
/// <see cref="GetKeysProc"/> for commands whose key flags depend on the arguments.
/// Read only at build time: Vermilion.Generators writes each family's <c>Register(CommandTable)</c>
/// from these attributes, one <see cref="CommandTable.Bind"/> per attribute in declaration order,
/// so nothing looks for them at run time.
/// </summary>
[AttributeUsage(AttributeTargets.Method, AllowMultiple = true, Inherited = false)]
public sealed class CommandAttribute(string fullName) : Attribute
{
    public string FullName { get; } = fullName;

    /// <summary>A static <c>bool M(Argv, List&lt;KeyReference&gt;)</c> of the same class: <c>GetKeys = nameof(SetGetKeys)</c>.</summary>
    public string? GetKeys { get; set; }
}
