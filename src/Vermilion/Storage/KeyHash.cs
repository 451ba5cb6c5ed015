using System.Buffers.Binary;
using System.IO.Hashing;
using System.Runtime.CompilerServices;

namespace Vermilion.Storage;

/// <summary>
/// The seeded 64-bit hash of keys, fields and members (the keyspace's buckets, <see cref="ByteKeyComparer"/>),
/// seeded per process as Redis seeds its siphash so crafted keys cannot force long chains. Up to 16
/// bytes (most keys and nearly every field): the bytes as two words, each folded in with a
/// multiply–xorshift bijection (splitmix64's finalizer), so keys of one length differ in the hash
/// unless the seed-dependent mixing collides. Longer ones: XxHash3. Measured at -P 128 GET: XxHash3
/// on a 16-byte key was ~90 instructions, half of them Math.BigMul's software path (the NativeAOT
/// build's baseline instruction set has no BMI2 mulx); this is ~25.
/// </summary>
public static class KeyHash
{
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static ulong Of(ReadOnlySpan<byte> key, ulong seed)
    {
        int n = key.Length;
        if (n > 16) return XxHash3.HashToUInt64(key, (long)seed);
        ulong a, b;
        if (n >= 8)
        {
            a = BinaryPrimitives.ReadUInt64LittleEndian(key);
            b = BinaryPrimitives.ReadUInt64LittleEndian(key[(n - 8)..]);
        }
        else if (n >= 4)
        {
            a = BinaryPrimitives.ReadUInt32LittleEndian(key);
            b = BinaryPrimitives.ReadUInt32LittleEndian(key[(n - 4)..]);
        }
        else
        {
            // One to three bytes: first, middle and last cover them all; none is (0, 0).
            a = n == 0 ? 0 : key[0] | (ulong)key[n >> 1] << 8 | (ulong)key[n - 1] << 16;
            b = 0;
        }
        // The length goes in first: words overlap differently for each length.
        ulong h = Mix(seed ^ ((ulong)n * 0x9E3779B97F4A7C15UL) ^ a);
        return Mix(h ^ b);
    }

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    static ulong Mix(ulong x)
    {
        x = (x ^ (x >> 30)) * 0xBF58476D1CE4E5B9UL;
        x = (x ^ (x >> 27)) * 0x94D049BB133111EBUL;
        return x ^ (x >> 31);
    }
}
