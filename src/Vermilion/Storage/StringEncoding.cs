namespace Vermilion.Storage;

/// <summary>OBJECT ENCODING of a string, kept in the entry's metadata (see <see cref="Keyspace"/>).</summary>
public enum StringEncoding : byte { Embstr = 0, Int = 1, Raw = 2 }
