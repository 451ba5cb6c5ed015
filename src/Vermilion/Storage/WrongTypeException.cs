namespace Vermilion.Storage;

/// <summary>
/// Thrown by <see cref="Db"/> when a command meets a key holding another type. Redis checks the
/// type before it writes any reply or change, and so do our commands, so the dispatcher can
/// answer WRONGTYPE for every command in one place (one cached instance: the error path is cold).
/// </summary>
public sealed class WrongTypeException : Exception
{
    public static readonly WrongTypeException Instance = new();
    public static ReadOnlySpan<byte> ReplyBytes => "-WRONGTYPE Operation against a key holding the wrong kind of value\r\n"u8;
    WrongTypeException() : base("WRONGTYPE Operation against a key holding the wrong kind of value") { }
}
