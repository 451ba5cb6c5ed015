using System.Text;

namespace Vermilion.Tests;

/// <summary>
/// A RESP2/RESP3 reply as a tree, read from its raw text (Latin-1, one char per byte, as
/// RespSocket returns it). Type is the RESP prefix; Text the payload of a simple string, error,
/// number or bulk string (null for a nil); Items the elements of an aggregate, a map's keys and
/// values in turn (null for a nil array). ToString gives the raw text again.
/// </summary>
public sealed record RespReply(char Type, string? Text, List<RespReply>? Items)
{
    public static RespReply Parse(string raw)
    {
        int pos = 0;
        return Read(raw, ref pos);
    }

    public static RespReply Parse(byte[] raw) => Parse(Encoding.Latin1.GetString(raw));

    /// <summary>Several replies one after the other.</summary>
    public static List<RespReply> ParseAll(string raw)
    {
        var replies = new List<RespReply>();
        for (int pos = 0; pos < raw.Length;) replies.Add(Read(raw, ref pos));
        return replies;
    }

    static RespReply Read(string s, ref int pos)
    {
        int eol = s.IndexOf("\r\n", pos, StringComparison.Ordinal);
        char type = s[pos];
        string line = s[(pos + 1)..eol];
        pos = eol + 2;
        switch (type)
        {
            case '$' or '=' or '!':
            {
                int length = int.Parse(line);
                if (length < 0) return new(type, null, null);
                var text = s.Substring(pos, length);
                pos += length + 2;
                return new(type, text, null);
            }
            case '*' or '~' or '>' or '%' or '|':
            {
                int n = int.Parse(line);
                if (n < 0) return new(type, null, null);
                var items = new List<RespReply>();
                for (int i = 0; i < (type is '%' or '|' ? 2 * n : n); i++) items.Add(Read(s, ref pos));
                return new(type, null, items);
            }
            default:
                return new(type, line, null);
        }
    }

    /// <summary>The elements' own payloads: the bulk strings of a flat array reply.</summary>
    public List<string> Texts() => Items!.Select(i => i.Text!).ToList();

    /// <summary>Every bulk string, number and double in the reply, in order, whatever the nesting.</summary>
    public IEnumerable<string> Leaves() =>
        Items is not null ? Items.SelectMany(i => i.Leaves()) : Text is not null && Type is '$' or ':' or ',' ? [Text] : [];

    public override string ToString()
    {
        var sb = new StringBuilder();
        Write(sb);
        return sb.ToString();
    }

    void Write(StringBuilder sb)
    {
        sb.Append(Type);
        if (Type is '$' or '=' or '!' && Text is not null) sb.Append(Text.Length).Append("\r\n").Append(Text).Append("\r\n");
        else if (Items is not null)
        {
            sb.Append(Type is '%' or '|' ? Items.Count / 2 : Items.Count).Append("\r\n");
            foreach (var item in Items) item.Write(sb);
        }
        else sb.Append(Text ?? "-1").Append("\r\n");
    }

    /// <summary>
    /// The reply with the parts whose order Redis leaves undefined sorted (see <see cref="Order"/>),
    /// in RESP form still; errors, scalars and nils unchanged.
    /// </summary>
    public static string Canonical(string reply, Order order)
    {
        var parsed = Parse(reply);
        if (parsed.Items is null) return reply;
        return order switch
        {
            Order.Elements => Sorted(parsed, 1).ToString(),
            Order.Pairs => Sorted(parsed, 2).ToString(),
            Order.ScanPairs when parsed.Items is [var cursor, { Items: not null } members] => (parsed with { Items = [cursor, Sorted(members, 2)] }).ToString(),
            _ => reply,
        };
    }

    /// <summary>The aggregate with its items sorted in groups of <paramref name="size"/> (a group compared by its raw text).</summary>
    static RespReply Sorted(RespReply aggregate, int size) => aggregate with
    {
        Items = aggregate.Items!.Chunk(size).OrderBy(group => string.Concat(group.Select(i => i.ToString())), StringComparer.Ordinal)
            .SelectMany(group => group).ToList(),
    };
}
