using System.Text;
using Vermilion.Commands;
using Xunit;

namespace Vermilion.Tests;

public class CommandNameIndexTests
{
    /// <summary>The last-found cache must never answer for another name: every name, in three spellings,
    /// looked up right after names of the same length (a different command, or one byte changed).</summary>
    [Fact]
    public void LookupsAlternatingBetweenNamesOfOneLengthFindEachItsOwn()
    {
        var table = new CommandTable();
        var names = table.All.Select(d => d.Name).ToList();
        foreach (var name in names)
        {
            foreach (var other in names.Where(n => n.Length == name.Length).Take(6))
            {
                Assert.Same(table.Lookup(Encoding.ASCII.GetBytes(other)), table.Lookup(Encoding.ASCII.GetBytes(other.ToUpperInvariant())));
                foreach (var spelling in new[] { name, name.ToUpperInvariant(), char.ToUpperInvariant(name[0]) + name[1..] })
                {
                    var def = table.Lookup(Encoding.ASCII.GetBytes(spelling));
                    Assert.NotNull(def);
                    Assert.Equal(name, def!.Name);
                }
                for (int i = 0; i < name.Length; i++)
                {
                    var changed = Encoding.ASCII.GetBytes(name);
                    changed[i] ^= 0x01;
                    var found = table.Lookup(changed);
                    Assert.True(found is null || found.Name != name, $"{Encoding.ASCII.GetString(changed)} found {name}");
                }
                Assert.Equal(name, table.Lookup(Encoding.ASCII.GetBytes(name))!.Name);
            }
        }
    }
}
