// Build step shipped in the CastingDefects.ML.Training package (buildTransitive) and compiled by MSBuild's
// RoslynCodeTaskFactory. TorchSharp 0.107's libLibTorchSharp.so declares a need for GLIBCXX_3.4.32 (GCC 13) only
// because of the link-time marker std::ios_base_library_init, which is never called. On hosts whose libstdc++ lacks
// that version (Debian 12, Ubuntu 22.04) the loader refuses the file. This step copies the file into obj/ with that
// version-need entry marked weak (VER_FLG_WEAK) and makes the build copy the patched file next to the app.
#nullable enable
using System;
using System.Collections.Generic;
using System.IO;
using System.Security.Cryptography;
using System.Text;
#if !CASTINGDEFECTS_NO_MSBUILD
using Microsoft.Build.Framework;
using Microsoft.Build.Utilities;
#endif

namespace CastingDefects.ML.Build
{
    /// <summary>Outcome of <see cref="ElfVersionNeedPatcher.MarkWeak"/>.</summary>
    public enum ElfPatchOutcome
    {
        /// <summary>The version-need entry was found and its weak flag set.</summary>
        Patched,
        /// <summary>The entry was already weak; nothing changed.</summary>
        AlreadyWeak,
        /// <summary>The file declares no need for that version; nothing to do.</summary>
        NotNeeded,
    }

    /// <summary>Reads and edits the version-need table (.gnu.version_r) of a 64-bit little-endian ELF file.</summary>
    public static class ElfVersionNeedPatcher
    {
        /// <summary>ELF flag of a version-need auxiliary entry: a missing version is not an error.</summary>
        public const ushort VerFlgWeak = 0x2;

        /// <summary>The standard places of libstdc++.so.6 on 64-bit Linux distributions.</summary>
        public static readonly string[] LibStdCxxCandidates =
        {
            "/usr/lib/x86_64-linux-gnu/libstdc++.so.6",
            "/lib/x86_64-linux-gnu/libstdc++.so.6",
            "/usr/lib/aarch64-linux-gnu/libstdc++.so.6",
            "/lib/aarch64-linux-gnu/libstdc++.so.6",
            "/usr/lib64/libstdc++.so.6",
            "/lib64/libstdc++.so.6",
            "/usr/lib/libstdc++.so.6",
        };

        /// <summary>
        /// Whether the first libstdc++ found among <paramref name="candidates"/> defines <paramref name="version"/>.
        /// Returns false when no libstdc++ is found (patching is harmless there).
        /// </summary>
        public static bool HostDefinesVersion(string version, IEnumerable<string> candidates, out string? libraryPath)
        {
            foreach (var candidate in candidates)
            {
                if (!File.Exists(candidate)) continue;
                libraryPath = Path.GetFullPath(candidate);
                return IndexOf(File.ReadAllBytes(candidate), Encoding.ASCII.GetBytes(version + "\0")) >= 0;
            }
            libraryPath = null;
            return false;
        }

        /// <summary>
        /// Sets <see cref="VerFlgWeak"/> on every version-need entry named <paramref name="versionName"/>.
        /// Throws <see cref="InvalidDataException"/> when the bytes are not an ELF layout this code knows.
        /// </summary>
        public static ElfPatchOutcome MarkWeak(byte[] elf, string versionName)
        {
            if (elf.Length < 64 || elf[0] != 0x7F || elf[1] != (byte)'E' || elf[2] != (byte)'L' || elf[3] != (byte)'F')
                throw new InvalidDataException("not an ELF file (bad magic)");
            if (elf[4] != 2) throw new InvalidDataException("not a 64-bit ELF file (EI_CLASS != ELFCLASS64)");
            if (elf[5] != 1) throw new InvalidDataException("not a little-endian ELF file (EI_DATA != ELFDATA2LSB)");

            ulong shoff = U64(elf, 0x28);
            int shentsize = U16(elf, 0x3A), shnum = U16(elf, 0x3C), shstrndx = U16(elf, 0x3E);
            if (shoff == 0 || shentsize < 64 || shnum == 0 || shstrndx >= shnum || (ulong)elf.Length < shoff + (ulong)(shnum * shentsize))
                throw new InvalidDataException("section header table missing or outside the file");

            long Sh(int i) => (long)shoff + (long)i * shentsize;
            long shstrOffset = (long)U64(elf, Sh(shstrndx) + 0x18);

            long verneedOffset = -1, verneedSize = 0, dynstrOffset = -1;
            for (int i = 0; i < shnum; i++)
            {
                long h = Sh(i);
                string name = CString(elf, shstrOffset + U32(elf, h));
                if (name != ".gnu.version_r") continue;
                verneedOffset = (long)U64(elf, h + 0x18);
                verneedSize = (long)U64(elf, h + 0x20);
                int link = (int)U32(elf, h + 0x28);
                if (link >= shnum) throw new InvalidDataException(".gnu.version_r links to a missing string table");
                dynstrOffset = (long)U64(elf, Sh(link) + 0x18);
                break;
            }
            if (verneedOffset < 0) throw new InvalidDataException("no .gnu.version_r section");
            if (verneedOffset + verneedSize > elf.Length) throw new InvalidDataException(".gnu.version_r lies outside the file");

            bool found = false, changed = false;
            long need = verneedOffset;
            for (int guard = 0; guard < 4096; guard++)
            {
                // Elf64_Verneed: vn_version(2) vn_cnt(2) vn_file(4) vn_aux(4) vn_next(4)
                if (U16(elf, need) != 1) throw new InvalidDataException("unknown Verneed version at 0x" + need.ToString("x"));
                int count = U16(elf, need + 2);
                long aux = need + U32(elf, need + 8);
                for (int k = 0; k < count; k++)
                {
                    // Elf64_Vernaux: vna_hash(4) vna_flags(2) vna_other(2) vna_name(4) vna_next(4)
                    if (aux + 16 > verneedOffset + verneedSize) throw new InvalidDataException("Vernaux entry outside .gnu.version_r");
                    if (CString(elf, dynstrOffset + U32(elf, aux + 8)) == versionName)
                    {
                        found = true;
                        ushort flags = U16(elf, aux + 4);
                        if ((flags & VerFlgWeak) == 0)
                        {
                            flags |= VerFlgWeak;
                            elf[aux + 4] = (byte)flags;
                            elf[aux + 5] = (byte)(flags >> 8);
                            changed = true;
                        }
                    }
                    uint nextAux = U32(elf, aux + 12);
                    if (nextAux == 0) break;
                    aux += nextAux;
                }
                uint next = U32(elf, need + 12);
                if (next == 0) break;
                need += next;
                if (need >= verneedOffset + verneedSize) throw new InvalidDataException("Verneed chain leaves .gnu.version_r");
            }
            return !found ? ElfPatchOutcome.NotNeeded : changed ? ElfPatchOutcome.Patched : ElfPatchOutcome.AlreadyWeak;
        }

        private static ushort U16(byte[] b, long o) { Check(b, o, 2); return (ushort)(b[o] | b[o + 1] << 8); }
        private static uint U32(byte[] b, long o) { Check(b, o, 4); return BitConverter.ToUInt32(b, (int)o); }
        private static ulong U64(byte[] b, long o) { Check(b, o, 8); return BitConverter.ToUInt64(b, (int)o); }

        private static void Check(byte[] b, long o, int n)
        {
            if (o < 0 || o + n > b.Length) throw new InvalidDataException("offset 0x" + o.ToString("x") + " outside the file");
        }

        private static string CString(byte[] b, long o)
        {
            Check(b, o, 1);
            long end = o;
            while (end < b.Length && b[end] != 0) end++;
            return Encoding.ASCII.GetString(b, (int)o, (int)(end - o));
        }

        private static int IndexOf(byte[] haystack, byte[] needle)
        {
            for (int i = 0; i <= haystack.Length - needle.Length; i++)
            {
                int j = 0;
                while (j < needle.Length && haystack[i + j] == needle[j]) j++;
                if (j == needle.Length) return i;
            }
            return -1;
        }
    }

#if !CASTINGDEFECTS_NO_MSBUILD
    /// <summary>
    /// MSBuild task: for each native file given, returns either the file itself (host needs no fix) or a patched copy
    /// under <see cref="IntermediateDirectory"/> carrying the same item metadata.
    /// </summary>
    public class MarkGlibcxxVersionWeak : Task
    {
        /// <summary>The libLibTorchSharp.so items resolved from the NuGet cache (never modified).</summary>
        [Required] public ITaskItem[] SourceFiles { get; set; } = Array.Empty<ITaskItem>();

        /// <summary>Folder under obj/ that receives the patched copies.</summary>
        [Required] public string IntermediateDirectory { get; set; } = "";

        /// <summary>The version to mark weak.</summary>
        public string VersionName { get; set; } = "GLIBCXX_3.4.32";

        /// <summary>Optional explicit libstdc++ to test instead of the standard places.</summary>
        public string LibStdCxxPath { get; set; } = "";

        /// <summary>The items to copy next to the app, in the order of <see cref="SourceFiles"/>.</summary>
        [Output] public ITaskItem[] ResultFiles { get; set; } = Array.Empty<ITaskItem>();

        /// <inheritdoc />
        public override bool Execute()
        {
            var candidates = string.IsNullOrEmpty(LibStdCxxPath) ? ElfVersionNeedPatcher.LibStdCxxCandidates : new[] { LibStdCxxPath };
            if (ElfVersionNeedPatcher.HostDefinesVersion(VersionName, candidates, out var lib))
            {
                Log.LogMessage(MessageImportance.Low, "CastingDefects.ML: {0} defines {1}; libLibTorchSharp.so is used as shipped.", lib, VersionName);
                ResultFiles = SourceFiles;
                return true;
            }

            var results = new List<ITaskItem>();
            foreach (var item in SourceFiles)
            {
                string source = item.GetMetadata("FullPath");
                byte[] bytes;
                try { bytes = File.ReadAllBytes(source); }
                catch (Exception e) { Log.LogError("CDML0001: cannot read '{0}': {1}", source, e.Message); return false; }

                ElfPatchOutcome outcome;
                try { outcome = ElfVersionNeedPatcher.MarkWeak(bytes, VersionName); }
                catch (InvalidDataException e)
                {
                    Log.LogError("CDML0002: '{0}' does not have the ELF layout this build step knows ({1}). It cannot mark {2} weak for this host ({3}). " +
                        "Install a libstdc++ that defines {2} (GCC 13 or newer) or set the MSBuild property CastingDefectsSkipGlibcxxFix=true.",
                        source, e.Message, VersionName, lib ?? "no libstdc++ found");
                    return false;
                }
                if (outcome == ElfPatchOutcome.NotNeeded || outcome == ElfPatchOutcome.AlreadyWeak)
                {
                    results.Add(item);
                    continue;
                }

                string hash;
                using (var sha = SHA256.Create()) hash = BitConverter.ToString(sha.ComputeHash(Encoding.UTF8.GetBytes(source))).Replace("-", "").Substring(0, 16);
                string destination = Path.Combine(Path.GetFullPath(IntermediateDirectory), hash, Path.GetFileName(source));
                if (!File.Exists(destination) || !BytesEqual(File.ReadAllBytes(destination), bytes))
                {
                    Directory.CreateDirectory(Path.GetDirectoryName(destination)!);
                    string temp = destination + ".tmp";
                    File.WriteAllBytes(temp, bytes);
                    File.Copy(temp, destination, overwrite: true);
                    File.Delete(temp);
                    Log.LogMessage(MessageImportance.Normal, "CastingDefects.ML: wrote {0} with {1} marked weak (host libstdc++: {2}).", destination, VersionName, lib ?? "not found");
                }
                var result = new TaskItem(destination);
                item.CopyMetadataTo(result);
                results.Add(result);
            }
            ResultFiles = results.ToArray();
            return true;
        }

        private static bool BytesEqual(byte[] a, byte[] b)
        {
            if (a.Length != b.Length) return false;
            for (int i = 0; i < a.Length; i++) if (a[i] != b[i]) return false;
            return true;
        }
    }
#endif
}
