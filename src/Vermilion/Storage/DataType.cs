namespace Vermilion.Storage;

/// <summary>The types TYPE reports.</summary>
public enum DataType : byte { String, List, Set, ZSet, Hash, Stream }
