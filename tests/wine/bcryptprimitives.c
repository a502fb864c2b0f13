/* A stand-in for Windows' bcryptprimitives.dll, for running Tayori under Wine 8 (Debian 12) in
 * tests/packaging.sh only; it is never packaged. Rust's standard library takes its random numbers from
 * ProcessPrng in that DLL (Windows 10 and later have it); Wine gained it only in Wine 9. This one
 * answers from RtlGenRandom, which Wine 8 has. */
#include <windows.h>

BOOLEAN WINAPI SystemFunction036(PVOID buffer, ULONG length); /* RtlGenRandom, advapi32 */

__declspec(dllexport) BOOL WINAPI ProcessPrng(PBYTE data, SIZE_T length) {
    while (length > 0) {
        ULONG chunk = length > 0x40000000 ? 0x40000000 : (ULONG)length;
        if (!SystemFunction036(data, chunk)) return FALSE;
        data += chunk;
        length -= chunk;
    }
    return TRUE;
}
