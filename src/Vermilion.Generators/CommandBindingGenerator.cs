using System.Collections.Immutable;
using System.Text;
using Microsoft.CodeAnalysis;
using Microsoft.CodeAnalysis.CSharp;
using Microsoft.CodeAnalysis.CSharp.Syntax;

namespace Vermilion.Generators;

/// <summary>
/// Writes each command family's <c>Register(CommandTable t)</c> from its [Command] methods:
///
///     [Command("set", GetKeys = nameof(SetGetKeys))] static void Set(Client c, CommandArgs a)
///  →  t.Bind("set", Set, getKeys: SetGetKeys);
///
/// Why: a command's binding sits on the code that implements it, with no list elsewhere to keep
/// in step; and the table is still built from plain code, not by reflection at run time
/// (NativeAOT, and DESIGN.md: dispatch through a table). Binds come in declaration order, which is
/// the table's and so COMMAND's. Misuse is a compile error rather than a bad table.
/// </summary>
[Generator(LanguageNames.CSharp)]
public sealed class CommandBindingGenerator : IIncrementalGenerator
{
    const string AttributeName = "Vermilion.Commands.CommandAttribute";

    static readonly DiagnosticDescriptor NotACommandProc = new(
        "VRM001", "[Command] method is not a CommandProc",
        "[Command] method '{0}' must be 'static void {0}(Client, CommandArgs)', a CommandProc",
        "Vermilion", DiagnosticSeverity.Error, isEnabledByDefault: true);

    static readonly DiagnosticDescriptor NoGetKeysProc = new(
        "VRM002", "[Command] GetKeys names no getkeys method",
        "GetKeys = \"{0}\" names no 'static bool {0}(Argv, List<KeyReference>)' of {1}, a GetKeysProc",
        "Vermilion", DiagnosticSeverity.Error, isEnabledByDefault: true);

    /// <summary>One [Command] attribute: the class and method it binds, the command's name, and where it
    /// sits (to keep declaration order); or the problem that keeps it out of Register. A record for the
    /// value equality that lets the compiler skip unchanged work; a record struct because netstandard2.0
    /// lacks the init accessors of a positional record class.</summary>
    record struct Binding(string Namespace, string Class, string Method, string Name, string? GetKeys,
        string File, int Position, Diagnostic? Problem);

    public void Initialize(IncrementalGeneratorInitializationContext context)
    {
        var bindings = context.SyntaxProvider.ForAttributeWithMetadataName(
            AttributeName,
            predicate: static (node, _) => node is MethodDeclarationSyntax,
            transform: static (ctx, _) => Read(ctx))
            .SelectMany(static (b, _) => b)
            .Collect();
        context.RegisterSourceOutput(bindings, static (spc, all) => Write(spc, all));
    }

    /// <summary>The bindings of one method: one per [Command] on it.</summary>
    static ImmutableArray<Binding> Read(GeneratorAttributeSyntaxContext ctx)
    {
        var method = (IMethodSymbol)ctx.TargetSymbol;
        var type = method.ContainingType;
        var compilation = ctx.SemanticModel.Compilation;
        var commandProc = compilation.GetTypeByMetadataName("Vermilion.Commands.CommandProc")?.DelegateInvokeMethod;
        var getKeysProc = compilation.GetTypeByMetadataName("Vermilion.Commands.GetKeysProc")?.DelegateInvokeMethod;
        string ns = type.ContainingNamespace.IsGlobalNamespace ? "" : type.ContainingNamespace.ToDisplayString();

        var result = ImmutableArray.CreateBuilder<Binding>();
        foreach (var attribute in ctx.Attributes)
        {
            var syntax = attribute.ApplicationSyntaxReference!;
            var location = Location.Create(syntax.SyntaxTree, syntax.Span);
            string name = attribute.ConstructorArguments.Length == 1 ? attribute.ConstructorArguments[0].Value as string ?? "" : "";
            string? getKeys = null;
            foreach (var named in attribute.NamedArguments)
                if (named.Key == "GetKeys") getKeys = named.Value.Value as string;

            Diagnostic? problem = null;
            if (!Fits(method, commandProc))
                problem = Diagnostic.Create(NotACommandProc, location, method.Name);
            else if (getKeys is not null && !type.GetMembers(getKeys).OfType<IMethodSymbol>().Any(m => Fits(m, getKeysProc)))
                problem = Diagnostic.Create(NoGetKeysProc, location, getKeys, type.Name);
            result.Add(new Binding(ns, type.Name, method.Name, name, getKeys, syntax.SyntaxTree.FilePath, syntax.Span.Start, problem));
        }
        return result.ToImmutable();
    }

    /// <summary>Whether <paramref name="method"/> converts to the delegate whose Invoke is <paramref name="shape"/>, as a static method.</summary>
    static bool Fits(IMethodSymbol method, IMethodSymbol? shape) =>
        shape is not null && method.IsStatic && !method.IsGenericMethod
        && SymbolEqualityComparer.Default.Equals(method.ReturnType, shape.ReturnType)
        && method.Parameters.Length == shape.Parameters.Length
        && method.Parameters.Zip(shape.Parameters, (p, q) => p.RefKind == q.RefKind && SymbolEqualityComparer.Default.Equals(p.Type, q.Type)).All(same => same);

    /// <summary>One Register per class, its binds in declaration order.</summary>
    static void Write(SourceProductionContext spc, ImmutableArray<Binding> all)
    {
        foreach (var b in all)
            if (b.Problem is not null) spc.ReportDiagnostic(b.Problem);

        foreach (var family in all.Where(b => b.Problem is null).GroupBy(b => (b.Namespace, b.Class)))
        {
            var code = new StringBuilder();
            code.AppendLine($"// <auto-generated/> by Vermilion.Generators.CommandBindingGenerator from the [Command] methods of {family.Key.Class}.");
            if (family.Key.Namespace.Length > 0) code.AppendLine($"namespace {family.Key.Namespace};").AppendLine();
            code.AppendLine($"static partial class {family.Key.Class}");
            code.AppendLine("{");
            code.AppendLine("    /// <summary>Binds this family's commands to their metadata, in declaration order.</summary>");
            code.AppendLine("    public static void Register(global::Vermilion.Commands.CommandTable t)");
            code.AppendLine("    {");
            foreach (var b in family.OrderBy(b => b.File, StringComparer.Ordinal).ThenBy(b => b.Position))
            {
                string getKeys = b.GetKeys is null ? "" : $", getKeys: {b.GetKeys}";
                code.AppendLine($"        t.Bind({SymbolDisplay.FormatLiteral(b.Name, quote: true)}, {b.Method}{getKeys});");
            }
            code.AppendLine("    }");
            code.AppendLine("}");
            string hint = family.Key.Namespace.Length > 0 ? $"{family.Key.Namespace}.{family.Key.Class}" : family.Key.Class;
            spc.AddSource($"{hint}.Register.g.cs", code.ToString());
        }
    }
}
