namespace Vermilion.Storage;

/// <summary>
/// A hash, set or sorted set seen as what HDEL, SREM and ZREM share: members (a hash's fields)
/// named by their bytes, removed one at a time, and how many are left.
/// </summary>
public interface IMemberCollection
{
    int Count { get; }
    /// <summary>False when the member is not there.</summary>
    bool Remove(ReadOnlySpan<byte> member);
}
