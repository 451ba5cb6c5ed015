namespace Vermilion.Storage;

/// <summary>A value whose key is an array of its own.</summary>
public abstract class SeparatelyKeyedObject(byte[] key) : StoredObject
{
    byte[] _key = key;
    public override ReadOnlySpan<byte> Key => _key;
    public override void SetKey(ReadOnlySpan<byte> key) => _key = key.ToArray();
}
