using System.Text;
using Vermilion.Protocol;
using Vermilion.Server;

namespace Vermilion.Commands;

/// <summary>
/// LOLWUT [VERSION v] [arguments] (lolwut.c lolwutCommand). Redis 7.0 picks the art by version:
/// 5 (and 4.9) draws Georg Nees's "Schotter", 6 (and 5.9) a city skyline; any other version,
/// its own 7.0.15 included, answers just "Redis ver. " and the version. The version named is
/// the Redis version Vermilion is compatible with, as INFO's redis_version, so what clients read
/// is the same (Vermilion's own version is INFO's vermilion_version).
/// </summary>
public static partial class LolwutCommands
{
    [Command("lolwut")]
    static void Lolwut(Client c, CommandArgs a)
    {
        int first = 1;
        string version = VermilionServer.RedisVersion;
        if (a.Count >= 3 && a.Is(1, "version"))
        {
            if (!LongArgument.Parse(c, a[2], out long v)) return;
            // Redis prints the number as an unsigned 32-bit "%u.0.0" and looks at its first characters.
            version = $"{(uint)v}.0.0";
            first = 3;
        }
        if ((version.StartsWith("5.") && version[2] != '9') || version.StartsWith("4.9"))
            Schotter(c, a, first);
        else if ((version.StartsWith("6.") && version[2] != '9') || version.StartsWith("5.9"))
            Skyline(c, a, first);
        else
            c.Reply.Verbatim($"Redis ver. {VermilionServer.RedisVersion}\n");
    }

    /// <summary>
    /// lolwut5Command: [columns] [squares per row] [squares per column], 66, 8 and 12 by default,
    /// each clamped (1..1000, 1..200, 1..200) so the command stays cheap. A grid of squares that
    /// turn and drift more the lower they sit, drawn on a canvas of dots and printed in Braille
    /// (each character a 2x4 block of dots).
    /// </summary>
    static void Schotter(Client c, CommandArgs a, int first)
    {
        Span<long> values = [66, 8, 12];
        for (int i = 0; i < 3 && first + i < a.Count; i++)
            if (!LongArgument.Parse(c, a[first + i], out values[i])) return;
        int columns = (int)Math.Clamp(values[0], 1, 1000);
        int perRow = (int)Math.Clamp(values[1], 1, 200);
        int perColumn = (int)Math.Clamp(values[2], 1, 200);

        int width = columns * 2;
        int padding = width > 4 ? 2 : 0;
        float side = (float)(width - padding * 2) / perRow;
        var canvas = new DotCanvas(width, (int)(side * perColumn + padding * 2));
        var random = Random.Shared;
        for (int y = 0; y < perColumn; y++)
        {
            for (int x = 0; x < perRow; x++)
            {
                float cx = x * side + side / 2 + padding, cy = y * side + side / 2 + padding, angle = 0;
                // The first row stands straight; below, the disorder grows with the row.
                if (y > 1)
                {
                    float Jitter() => (float)random.NextDouble() / perColumn * y * (random.Next(2) == 0 ? 1 : -1);
                    angle = Jitter();
                    cx += Jitter() * side / 3;
                    cy += Jitter() * side / 3;
                }
                canvas.Square((int)cx, (int)cy, side, angle);
            }
        }
        c.Reply.Verbatim(canvas.ToBraille() + $"\nGeorg Nees - schotter, plotter on paper, 1968. Redis ver. {VermilionServer.RedisVersion}\n");
    }

    /// <summary>
    /// lolwut6Command: [columns] [rows], 80 and 20 by default, each clamped to 1..1000. A city at
    /// night in four shades printed as ANSI colour cells, one space each: two rows of grey towers
    /// behind, then black towers with lit windows in front, on a white sky.
    /// </summary>
    static void Skyline(Client c, CommandArgs a, int first)
    {
        Span<long> values = [80, 20];
        for (int i = 0; i < 2 && first + i < a.Count; i++)
            if (!LongArgument.Parse(c, a[first + i], out values[i])) return;
        int width = (int)Math.Clamp(values[0], 1, 1000), height = (int)Math.Clamp(values[1], 1, 1000);
        var city = new byte[width * height];
        Array.Fill(city, Sky);
        var random = Random.Shared;
        // The far row is the palest and tallest and overlaps itself; the nearer grey row leaves gaps.
        for (int x = -10; x < width;)
        {
            x += random.Next(8);
            int w = 10 + random.Next(9);
            Tower(city, width, height, x, w, height / 2 + random.Next(Math.Max(1, height / 2)), FarGrey, random, windows: false);
            x += w / 2;
        }
        for (int x = -10; x < width;)
        {
            x += random.Next(8);
            int w = 10 + random.Next(9);
            Tower(city, width, height, x, w, height / 2 + random.Next(Math.Max(1, height / 3)), NearGrey, random, windows: false);
            x += w + 1;
        }
        for (int x = -10; x < width;)
        {
            x += random.Next(8);
            int w = 5 + random.Next(14);
            if (w % 4 != 0) w += w % 3;
            Tower(city, width, height, x, w, height / 3 + random.Next(Math.Max(1, height / 2)), Black, random, windows: true);
            x += w + 5;
        }

        var sb = new StringBuilder();
        for (int y = 0; y < height; y++)
        {
            for (int x = 0; x < width; x++) sb.Append("\u001b[").Append(s_shades[city[y * width + x]]).Append(" \u001b[0m");
            if (y != height - 1) sb.Append('\n');
        }
        sb.Append("\nDedicated to the 8 bit game developers of past and present.\nOriginal 8 bit image from Plaguemon by hikikomori. Redis ver. ")
          .Append(VermilionServer.RedisVersion).Append('\n');
        c.Reply.Verbatim(sb.ToString());
    }

    const byte Black = 0, NearGrey = 1, FarGrey = 2, Sky = 3;

    /// <summary>Foreground and background SGR codes of each shade: black, dark grey, light grey, white.</summary>
    static readonly string[] s_shades = ["0;30;40m", "0;90;100m", "0;37;47m", "0;97;107m"];

    /// <summary>
    /// One tower standing on the bottom row: its roof is two cells narrower on each side; a front
    /// tower has windows two cells wide on every other row and column pair, lit in one of the greys.
    /// </summary>
    static void Tower(byte[] city, int width, int height, int left, int towerWidth, int towerHeight, byte shade, Random random, bool windows)
    {
        int bottom = height - 1, roof = bottom - towerHeight + 1;
        for (int y = Math.Max(roof, 0); y <= bottom; y++)
        {
            byte window = 0;
            for (int x = Math.Max(left, 0); x < Math.Min(left + towerWidth, width); x++)
            {
                if (y == roof && (x <= left + 1 || x >= left + towerWidth - 2)) continue;
                byte cell = shade;
                int column = x - left - 2, row = y - roof - 2;
                if (windows && column >= 0 && x < left + towerWidth - 2 && row >= 0 && y < bottom - 1 && (column / 2) % 2 == 1 && row % 2 == 1)
                {
                    // Both cells of a window share its light.
                    if (column % 2 == 0) window = (byte)(1 + random.Next(2));
                    cell = window;
                }
                city[y * width + x] = cell;
            }
        }
    }

    /// <summary>A black-and-white canvas with straight lines, printed as Braille characters.</summary>
    sealed class DotCanvas(int width, int height)
    {
        readonly bool[] _dots = new bool[width * height];

        void Set(int x, int y)
        {
            if ((uint)x < (uint)width && (uint)y < (uint)height) _dots[y * width + x] = true;
        }

        bool Get(int x, int y) => (uint)x < (uint)width && (uint)y < (uint)height && _dots[y * width + x];

        /// <summary>Bresenham's line between two points.</summary>
        public void Line(int x0, int y0, int x1, int y1)
        {
            int dx = Math.Abs(x1 - x0), dy = -Math.Abs(y1 - y0);
            int sx = x0 < x1 ? 1 : -1, sy = y0 < y1 ? 1 : -1, err = dx + dy;
            while (true)
            {
                Set(x0, y0);
                if (x0 == x1 && y0 == y1) return;
                int e2 = 2 * err;
                if (e2 >= dy) { err += dy; x0 += sx; }
                if (e2 <= dx) { err += dx; y0 += sy; }
            }
        }

        /// <summary>A square of the given side centred on (cx, cy), turned by <paramref name="angle"/> radians.</summary>
        public void Square(int cx, int cy, float side, float angle)
        {
            Span<int> px = stackalloc int[4], py = stackalloc int[4];
            // The corners lie on a circle whose radius is side/sqrt(2), rounded to whole dots as Redis's are.
            float radius = MathF.Round(side / 1.4142135623f);
            for (int k = 0; k < 4; k++)
            {
                // At 45, 135, 225 and 315 degrees, turned.
                float corner = MathF.PI / 4 + angle + k * (MathF.PI / 2);
                px[k] = (int)Math.Round(Math.Sin(corner) * radius + cx);
                py[k] = (int)Math.Round(Math.Cos(corner) * radius + cy);
            }
            for (int k = 0; k < 4; k++) Line(px[k], py[k], px[(k + 1) % 4], py[(k + 1) % 4]);
        }

        /// <summary>
        /// Each 2x4 block of dots as one Braille character (U+2800 plus the dots' bits), each row
        /// ended by a newline, except, as Redis's renderCanvas has it, a last row that starts on
        /// the canvas's last line of dots.
        /// </summary>
        public string ToBraille()
        {
            var sb = new StringBuilder();
            for (int y = 0; y < height; y += 4)
            {
                for (int x = 0; x < width; x += 2)
                {
                    int bits = 0;
                    if (Get(x, y)) bits |= 0x01;
                    if (Get(x, y + 1)) bits |= 0x02;
                    if (Get(x, y + 2)) bits |= 0x04;
                    if (Get(x + 1, y)) bits |= 0x08;
                    if (Get(x + 1, y + 1)) bits |= 0x10;
                    if (Get(x + 1, y + 2)) bits |= 0x20;
                    if (Get(x, y + 3)) bits |= 0x40;
                    if (Get(x + 1, y + 3)) bits |= 0x80;
                    sb.Append((char)(0x2800 + bits));
                }
                if (y != height - 1) sb.Append('\n');
            }
            return sb.ToString();
        }
    }
}
