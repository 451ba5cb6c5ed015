using Vermilion.Commands;
using Vermilion.Protocol;

namespace Vermilion.Server;

/// <summary>
/// PROVISIONAL, to be replaced by the effect-stream producer (propagation from Dispatch, built
/// separately): a write command that did not fail is handed to the effect sinks exactly as it
/// was sent, so the AOF can be exercised end to end (crash test, round trips) before the real
/// producer lands. It is not Redis's propagation: relative expiries stay relative, SPOP and
/// friends are not turned into their effects, EXEC's commands are not wrapped in MULTI/EXEC.
/// At merge, drop this file and its one call in Dispatch.Execute.
/// </summary>
public sealed partial class VermilionServer
{
    byte[] _provisionalEffect = new byte[256];

    void ProvisionalPropagate(Client c, CommandDef cmd, CommandArgs args)
    {
        if (EffectSinks.Count == 0 || (cmd.Flags & CommandFlags.Write) == 0 || (c.Flags & ClientFlags.Blocked) != 0) return;
        int length = 0;
        Span<byte> digits = stackalloc byte[24];
        void Put(ReadOnlySpan<byte> bytes)
        {
            if (length + bytes.Length > _provisionalEffect.Length) Array.Resize(ref _provisionalEffect, Math.Max(length + bytes.Length, _provisionalEffect.Length * 2));
            bytes.CopyTo(_provisionalEffect.AsSpan(length));
            length += bytes.Length;
        }
        Put("*"u8);
        Put(digits[..IntegerText.Format(args.Count, digits)]);
        Put("\r\n"u8);
        for (int i = 0; i < args.Count; i++)
        {
            Put("$"u8);
            Put(digits[..IntegerText.Format(args.Length(i), digits)]);
            Put("\r\n"u8);
            Put(args[i]);
            Put("\r\n"u8);
        }
        foreach (var sink in EffectSinks) sink.Append(c.DbIndex, _provisionalEffect.AsSpan(0, length));
    }
}
