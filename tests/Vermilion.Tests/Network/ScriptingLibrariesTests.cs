using Xunit;

namespace Vermilion.Tests;

/// <summary>
/// struct and cmsgpack (written in C# here; Debian packages neither) against redis-server
/// 7.0.15's, byte for byte through EVAL: every struct format letter with integers, doubles and
/// special values (packed bytes, and unpacked back as %.17g), alignment and endianness, the
/// errors; cmsgpack's integers at every width boundary, float32 vs float64, strings at each
/// header boundary, arrays vs maps, nesting past 16, unpack_one/unpack_limit offsets, bad input.
/// </summary>
[Trait("Category", "Network")]
public class ScriptingLibrariesTests(DifferentialServers servers) : IClassFixture<DifferentialServers>
{
    static string[][] Evals(IEnumerable<string> scripts) => [.. scripts.Select(s => new[] { "EVAL", s, "0" })];

    static readonly string[] s_numbers =
    [
        "0", "1", "-1", "127", "128", "255", "256", "-128", "-129", "-32", "-33", "65535", "65536", "-32768", "-32769",
        "2^31", "-2^31", "2^31-1", "-2^31-1", "2^32-1", "2^32", "2^53", "2^63", "-2^63", "2^64", "1e300", "-1e300",
        "0/0", "1/0", "-1/0", "1.5", "0.1", "-0.0", "3.7", "-3.7", "'12'",
    ];

    static readonly string[] s_formats =
    [
        "b", "B", "h", "H", "l", "L", "T", "i", "I", "i1", "i3", "I5", "i8", "I8", "i16", "I17", "f", "d", ">i", "<i", ">I3",
        ">d", "<f", "!4bi", "!bd", "<!8bh", "!2bhl", "xi", "bxh", "i0",
    ];

    [Fact]
    public void StructPacksAndUnpacksEveryFormatLetter() => servers.Same(Evals(
        from f in s_formats
        from v in s_numbers
        from script in new[]
        {
            $"return struct.pack('{f}', {v})",
            $"local t = {{struct.unpack('{f}', struct.pack('{f}', {v}))}} for i = 1, #t do t[i] = string.format('%.17g', t[i]) end return t",
        }
        select script));

    [Fact]
    public void StructStringsSizesAndErrors() => servers.Same(Evals(
    [
        "return struct.pack('dLc0', 1.5, 5, 'hello')",
        "local t = {struct.unpack('dLc0', struct.pack('dLc0', 1.5, 5, 'hello'))} t[1] = tostring(t[1]) return t",
        "return struct.pack('c3', 'abcdef')", "return struct.pack('c5', 'ab')", "return struct.pack('s', 'ab')", "return struct.pack('c0', 'abc')",
        "return {struct.unpack('s', 'ab\\0cd')}", "return {struct.unpack('s', 'abcd')}", "return {struct.unpack('c0', 'abcd')}",
        "return {struct.unpack('bc0', '\\3abcd')}", "return {struct.unpack('c1c0', '2abcd')}", "return {struct.unpack('c1c0', 'xabcd')}",
        "return {struct.unpack('i', 'ab')}", "return {struct.unpack('b', 'ab', 2)}", "return {struct.unpack('b', 'ab', 0)}",
        "return {struct.unpack('b', 'ab', -1)}", "return {struct.unpack('b', 'ab', 3)}", "return {struct.unpack('b', 'ab', 'x')}",
        "return struct.pack('y')", "return struct.pack('i')", "return struct.pack('ii', 1)", "return struct.pack('i', 'x')",
        "return struct.pack('i', {})", "return struct.pack()", "return struct.pack(12, 1)", "return struct.pack('i33', 1)",
        "return struct.pack('i99999999999', 1)", "return struct.pack('!3i', 1)", "return struct.pack('!0i', 1)", "return struct.pack('!16i', 1)",
        "return struct.size('s')", "return struct.size('c0')", "return struct.size('iyz')", "return struct.size('!4bi')", "return struct.size('bd')",
        "return struct.size('!bd')", "return struct.size('?')", "return struct.size('c10')", "return struct.size()",
        "return struct.unpack()", "return struct.unpack('i')", "return struct.pack('b\\0y', 1)", "return struct.pack(' b ', 1)", "return struct.pack('5', 1)",
        "local t = {} for k in pairs(struct) do t[#t + 1] = k end table.sort(t) return t",
        "struct.pack = nil",
    ]));

    /// <summary>A Lua value as stable text (keys sorted), long strings as their length.</summary>
    const string Dump = "local function d(v) local t = type(v) if t == 'table' then local ks = {} for k in pairs(v) do ks[#ks + 1] = k end "
        + "table.sort(ks, function(a, b) return tostring(a) < tostring(b) end) local o = {} for _, k in ipairs(ks) do o[#o + 1] = d(k) .. '=' .. d(v[k]) end "
        + "return '{' .. table.concat(o, ',') .. '}' elseif t == 'number' then return string.format('%.17g', v) elseif t == 'string' then "
        + "return #v > 40 and ('s' .. #v) or ('\"' .. v .. '\"') else return tostring(v) end end ";

    static readonly string[] s_values =
    [
        "0", "127", "128", "255", "256", "65535", "65536", "2^32-1", "2^32", "2^53", "2^63", "2^64", "-1", "-32", "-33", "-128", "-129",
        "-32768", "-32769", "-2^31", "-2^31-1", "-2^63", "-2^64", "1.5", "0.1", "1/0", "-1/0", "0/0", "-0.0", "1e300", "3.4e38", "1e-45",
        "true", "false", "nil", "'x'", "''", "string.rep('x', 31)", "string.rep('x', 32)", "string.rep('x', 255)", "string.rep('x', 256)",
        "string.rep('x', 65535)", "string.rep('x', 65536)", "{}", "{1, 2, 3}", "{1, {2, {3, {4}}}}", "{a = 1}", "{1, nil, 3}", "{[1] = 1, [3] = 3}",
        "{[0] = 1}", "{[1.5] = 1}", "{[-1] = 1}", "{[2^31] = 1}", "{true}", "{{}, {}}", "{string.rep('y', 40)}",
        "{1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13, 14, 15}", "{1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13, 14, 15, 16}",
        "function() end", "redis.call",
    ];

    [Fact]
    public void MsgpackPacksAndUnpacksEveryWidth() => servers.Same(Evals(
        from v in s_values
        from script in new[]
        {
            $"return cmsgpack.pack({v})",
            Dump + $"local t = {{cmsgpack.unpack(cmsgpack.pack({v}))}} for i = 1, #t do t[i] = d(t[i]) end return t",
        }
        select script));

    [Fact]
    public void MsgpackNestingOffsetsAndBadInput() => servers.Same(Evals(
    [
        "return cmsgpack.pack(1, 2, 'x', {1})", "return cmsgpack.pack()", "return cmsgpack.pack(nil)", "return cmsgpack.pack(nil, 1)",
        "local t = {} local c = t for i = 1, 20 do c[1] = {} c = c[1] end return cmsgpack.pack(t)",
        "local t = {} t[1] = t return cmsgpack.pack(t)", "local t = {} t.x = t return cmsgpack.pack(t)",
        "local a = {} for i = 1, 70000 do a[i] = i end return #cmsgpack.pack(a)",
        "local a = {} for i = 1, 20 do a['k' .. i] = i end return #cmsgpack.pack(a)",
        "local a = {} for i = 1, 70000 do a['k' .. i] = i end return #cmsgpack.pack(a)",
        Dump + "return d({cmsgpack.unpack(cmsgpack.pack(1, 2, 3))})",
        Dump + "return d({cmsgpack.unpack_one(cmsgpack.pack(1, 2, 3))})",
        Dump + "return d({cmsgpack.unpack_one(cmsgpack.pack(1, 2, 3), 1)})",
        Dump + "return d({cmsgpack.unpack_one(cmsgpack.pack(1, 2, 3), 2)})",
        Dump + "return d({cmsgpack.unpack_one(cmsgpack.pack(1, 2, 3), 3)})",
        Dump + "return d({cmsgpack.unpack_one(cmsgpack.pack(1, 2, 3), 4)})",
        Dump + "return d({cmsgpack.unpack_one(cmsgpack.pack(1, 2, 3), -1)})",
        Dump + "return d({cmsgpack.unpack_limit(cmsgpack.pack(1, 2, 3), 2)})",
        Dump + "return d({cmsgpack.unpack_limit(cmsgpack.pack(1, 2, 3), 2, 1)})",
        Dump + "return d({cmsgpack.unpack_limit(cmsgpack.pack(1, 2, 3), 0)})",
        Dump + "return d({cmsgpack.unpack_limit(cmsgpack.pack(1, 2, 3), 0, 0)})",
        Dump + "return d({cmsgpack.unpack_limit(cmsgpack.pack(1, 2, 3), -1)})",
        Dump + "return d({cmsgpack.unpack_limit(cmsgpack.pack(1, 2, 3))})",
        Dump + "return d({cmsgpack.unpack_one()})", Dump + "return d({cmsgpack.unpack()})", Dump + "return d({cmsgpack.unpack('')})",
        Dump + "return d({cmsgpack.unpack('\\193')})", Dump + "return d({cmsgpack.unpack('\\205\\1')})", Dump + "return d({cmsgpack.unpack('\\146\\1')})",
        Dump + "return d({cmsgpack.unpack('\\219\\0\\0\\0\\9abc')})",
        Dump + "return d({cmsgpack.unpack('\\207\\255\\255\\255\\255\\255\\255\\255\\255')})",
        Dump + "return d({cmsgpack.unpack('\\207\\128\\0\\0\\0\\0\\0\\0\\0')})",
        Dump + "return d({cmsgpack.unpack('\\196\\1a')})", Dump + "return d({cmsgpack.unpack('\\129\\1\\2\\130\\3\\4\\5\\6')})",
        Dump + "return d({cmsgpack.unpack(12)})", Dump + "return d({cmsgpack.unpack('\\1\\2\\3', 'x')})",
        "return #({cmsgpack.unpack(string.rep('\\1', 7000))})",
        "return {cmsgpack._NAME, cmsgpack._VERSION, cmsgpack._COPYRIGHT, cmsgpack._DESCRIPTION}",
        "local t = {} for k in pairs(cmsgpack) do t[#t + 1] = k end table.sort(t) return t",
        "cmsgpack.pack = nil",
    ]));
}
