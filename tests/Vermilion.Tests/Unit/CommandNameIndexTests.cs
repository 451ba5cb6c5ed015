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

    /// <summary>rename-command: the callable names change, the built ones (ACL's view) stay; a name may hold any bytes.</summary>
    [Fact]
    public void RenamedCommandsAreFoundByTheirNewNameOnly()
    {
        var table = new CommandTable();
        var get = table.Lookup("get")!;
        int count = table.Count;
        table.Rename("GET", "Über-Get");
        table.Rename("set", "");
        table.Rename("client", "cl");
        Assert.Null(table.Lookup("get"));
        Assert.Null(table.Lookup("set"));
        Assert.Same(get, table.Lookup(Encoding.UTF8.GetBytes("Über-Get")));
        Assert.Same(get, table.Lookup(Encoding.UTF8.GetBytes("Über-GET")));
        Assert.Same(get, table.LookupOriginal("get"));
        Assert.Equal("client|kill", table.LookupByFullName("CL|KILL")!.FullName);
        Assert.Null(table.LookupByFullName("client|kill"));
        Assert.NotNull(table.LookupOriginal("set"));
        Assert.Equal(count - 1, table.Count);
        Assert.DoesNotContain(table.All, d => d.Name == "set");
        Assert.Contains(table.Original, d => d.Name == "set");
        Assert.Throws<InvalidOperationException>(() => table.Rename("get", "x"));
        Assert.Throws<InvalidOperationException>(() => table.Rename("cl", "ping"));
    }
}
