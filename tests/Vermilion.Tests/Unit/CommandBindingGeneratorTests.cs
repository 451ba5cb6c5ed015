using System.Collections.Immutable;
using Microsoft.CodeAnalysis;
using Microsoft.CodeAnalysis.CSharp;
using Vermilion.Generators;
using Xunit;

namespace Vermilion.Tests;

/// <summary>
/// The generator that turns [Command] attributes into each family's Register, run on small
/// families compiled against the real library: the binds it writes, that they compile, and the
/// errors for a method that is not a CommandProc or a GetKeys that names no getkeys proc.
/// </summary>
public class CommandBindingGeneratorTests
{
    const string Usings = "using System.Collections.Generic; using Vermilion.Commands; using Vermilion.Protocol; using Vermilion.Server;\n";

    static (string Generated, ImmutableArray<Diagnostic> GeneratorDiagnostics, ImmutableArray<Diagnostic> CompileErrors) Run(string family)
    {
        var references = ((string)AppContext.GetData("TRUSTED_PLATFORM_ASSEMBLIES")!).Split(Path.PathSeparator)
            .Select(path => MetadataReference.CreateFromFile(path))
            .Append(MetadataReference.CreateFromFile(typeof(CommandTable).Assembly.Location));
        var compilation = CSharpCompilation.Create("Sample", [CSharpSyntaxTree.ParseText(Usings + family)], references,
            new CSharpCompilationOptions(OutputKind.DynamicallyLinkedLibrary, nullableContextOptions: NullableContextOptions.Enable));
        CSharpGeneratorDriver.Create(new CommandBindingGenerator())
            .RunGeneratorsAndUpdateCompilation(compilation, out var output, out var diagnostics);
        string generated = string.Concat(output.SyntaxTrees.Skip(1).Select(t => t.ToString()));
        var errors = output.GetDiagnostics().Where(d => d.Severity == DiagnosticSeverity.Error).ToImmutableArray();
        return (generated, diagnostics, errors);
    }

    [Fact]
    public void WritesOneBindPerAttributeInDeclarationOrder()
    {
        var (generated, diagnostics, errors) = Run("""
            namespace Sample;
            static partial class FooCommands
            {
                [Command("zeta")] static void Zeta(Client c, CommandArgs a) { }
                [Command("getrange")]
                [Command("substr")]
                static void Range(Client c, CommandArgs a) { }
                [Command("set", GetKeys = nameof(SetKeys))] static void Set(Client c, CommandArgs a) { }
                [Command("client|kill")] static void Kill(Client c, CommandArgs a) { }
                static bool SetKeys(Argv argv, List<KeyReference> keys) => false;
            }
            """);
        Assert.Empty(diagnostics);
        Assert.Empty(errors);
        Assert.Contains("static partial class FooCommands", generated);
        var binds = generated.Split('\n').Select(l => l.Trim()).Where(l => l.StartsWith("t.Bind(")).ToArray();
        Assert.Equal(
        [
            "t.Bind(\"zeta\", Zeta);",
            "t.Bind(\"getrange\", Range);",
            "t.Bind(\"substr\", Range);",
            "t.Bind(\"set\", Set, getKeys: SetKeys);",
            "t.Bind(\"client|kill\", Kill);",
        ], binds);
    }

    [Theory]
    [InlineData("static int Bad(Client c, CommandArgs a) => 0;")]
    [InlineData("static void Bad(Client c) { }")]
    [InlineData("void Bad(Client c, CommandArgs a) { }")]
    [InlineData("static void Bad(Client c, ref CommandArgs a) { }")]
    public void AMethodThatIsNotACommandProcIsAnError(string method)
    {
        var (generated, diagnostics, _) = Run($$"""
            namespace Sample;
            partial class FooCommands
            {
                [Command("bad")] {{method}}
            }
            """);
        Assert.Equal("VRM001", Assert.Single(diagnostics).Id);
        Assert.DoesNotContain("t.Bind(", generated);
    }

    [Theory]
    [InlineData("Missing", "")]
    [InlineData("Keys", "static int Keys(Argv argv, List<KeyReference> keys) => 0;")]
    [InlineData("Keys", "static bool Keys(Argv argv) => true;")]
    public void AGetKeysThatNamesNoGetKeysProcIsAnError(string getKeys, string member)
    {
        var (generated, diagnostics, _) = Run($$"""
            namespace Sample;
            static partial class FooCommands
            {
                [Command("set", GetKeys = "{{getKeys}}")] static void Set(Client c, CommandArgs a) { }
                {{member}}
            }
            """);
        Assert.Equal("VRM002", Assert.Single(diagnostics).Id);
        Assert.DoesNotContain("t.Bind(", generated);
    }
}
