namespace Vermilion;

/// <summary>
/// The string family. This first keyspace has SET (NX, XX, GET), GET and INCR; expiry options and
/// the rest of the family come with the real keyspace (see the README's compatibility table).
/// </summary>
public static class StringCommands
{
    public static void Register(CommandTable t)
    {
        t.Add(new() { Name = "get", Arity = 2, Flags = CommandFlags.ReadOnly | CommandFlags.Fast, Categories = ["@read", "@string", "@fast"], FirstKey = 1, LastKey = 1, KeyStep = 1, Proc = Get, Group = "string", Since = "1.0.0", Summary = "Get the value of a key", Complexity = "O(1)" });
        t.Add(new() { Name = "set", Arity = -3, Flags = CommandFlags.Write | CommandFlags.DenyOom, Categories = ["@write", "@string", "@slow"], FirstKey = 1, LastKey = 1, KeyStep = 1, Proc = Set, Group = "string", Since = "1.0.0", Summary = "Set the string value of a key", Complexity = "O(1)" });
        t.Add(new() { Name = "incr", Arity = 2, Flags = CommandFlags.Write | CommandFlags.DenyOom | CommandFlags.Fast, Categories = ["@write", "@string", "@fast"], FirstKey = 1, LastKey = 1, KeyStep = 1, Proc = Incr, Group = "string", Since = "1.0.0", Summary = "Increment the integer value of a key by one", Complexity = "O(1)" });
    }

    static void Get(Client c, CommandArgs a)
    {
        var value = c.Db.Get(a[1]);
        if (value is null)
        {
            c.Server.Stats.KeyspaceMisses++;
            c.Reply.Null();
            return;
        }
        c.Server.Stats.KeyspaceHits++;
        c.Reply.Bulk(value);
    }

    static void Set(Client c, CommandArgs a)
    {
        bool nx = false, xx = false, get = false;
        for (int j = 3; j < a.Count; j++)
        {
            if (a.Is(j, "nx") && !xx) nx = true;
            else if (a.Is(j, "xx") && !nx) xx = true;
            else if (a.Is(j, "get")) get = true;
            else
            {
                c.Reply.Error("syntax error");
                return;
            }
        }
        var old = get || nx || xx ? c.Db.Get(a[1]) : null;
        if ((nx && old is not null) || (xx && old is null))
        {
            if (get) { if (old is null) c.Reply.Null(); else c.Reply.Bulk(old); }
            else c.Reply.Null();
            return;
        }
        if (get)
        {
            // The old value must be replied before Set may overwrite its array in place.
            if (old is null) c.Reply.Null(); else c.Reply.Bulk(old);
            c.Db.Set(a[1], a[2]);
            return;
        }
        c.Db.Set(a[1], a[2]);
        c.Reply.Ok();
    }

    static void Incr(Client c, CommandArgs a)
    {
        var old = c.Db.Get(a[1]);
        long value = 0;
        if (old is not null && !IntegerText.TryParse(old, out value))
        {
            c.Reply.Error("value is not an integer or out of range");
            return;
        }
        if (value == long.MaxValue)
        {
            c.Reply.Error("increment or decrement would overflow");
            return;
        }
        value++;
        Span<byte> text = stackalloc byte[20];
        c.Db.Set(a[1], text[..IntegerText.Format(value, text)]);
        c.Reply.Integer(value);
    }
}
