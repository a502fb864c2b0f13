//! GSSAPI (RFC 2744's C interface), loaded at run time: MIT Kerberos' `libgssapi_krb5.so.2` on
//! Linux and the BSDs (Heimdal's `libgssapi.so.3` where that is what is installed), the GSS
//! framework on macOS. Loaded rather than linked, so that Tayori starts on a computer without
//! Kerberos and needs no Kerberos headers or libclang to build (the `libgssapi` crate binds at
//! build time with bindgen and links the library in).
//!
//! Five functions are used, each called exactly as RFC 2744 §5 defines it; every buffer GSSAPI
//! hands out is released through it, on every path.
// The crate's second audited exception to `deny(unsafe_code)` (lib.rs): calls into the system's
// GSSAPI library. Every call passes pointers to live locals of the declared C layout.
#![allow(unsafe_code)]

use std::ffi::c_void;
use std::sync::OnceLock;

use super::NegotiateError;

type OmUint32 = u32;

/// `gss_OID_desc`. Apple's headers pack it to 2 bytes (`#pragma pack(push, 2)` in GSS.framework's
/// gssapi.h), MIT and Heimdal do not.
#[cfg_attr(target_os = "macos", repr(C, packed(2)))]
#[cfg_attr(not(target_os = "macos"), repr(C))]
struct OidDesc {
    length: OmUint32,
    elements: *const c_void,
}

/// `gss_buffer_desc` (packed on macOS, as above).
#[cfg_attr(target_os = "macos", repr(C, packed(2)))]
#[cfg_attr(not(target_os = "macos"), repr(C))]
struct BufferDesc {
    length: usize,
    value: *mut c_void,
}

impl BufferDesc {
    fn empty() -> Self {
        BufferDesc {
            length: 0,
            value: std::ptr::null_mut(),
        }
    }
}

type Name = *mut c_void;
type Context = *mut c_void;

type ImportName =
    unsafe extern "C" fn(*mut OmUint32, *const BufferDesc, *const OidDesc, *mut Name) -> OmUint32;
#[allow(clippy::type_complexity)]
type InitSecContext = unsafe extern "C" fn(
    *mut OmUint32,     // minor_status
    *mut c_void,       // claimant_cred_handle (GSS_C_NO_CREDENTIAL: the default ticket)
    *mut Context,      // context_handle
    Name,              // target_name
    *const OidDesc,    // mech_type
    OmUint32,          // req_flags
    OmUint32,          // time_req
    *mut c_void,       // input_chan_bindings
    *const BufferDesc, // input_token
    *mut *mut OidDesc, // actual_mech_type
    *mut BufferDesc,   // output_token
    *mut OmUint32,     // ret_flags
    *mut OmUint32,     // time_rec
) -> OmUint32;
type ReleaseBuffer = unsafe extern "C" fn(*mut OmUint32, *mut BufferDesc) -> OmUint32;
type ReleaseName = unsafe extern "C" fn(*mut OmUint32, *mut Name) -> OmUint32;
type DeleteSecContext =
    unsafe extern "C" fn(*mut OmUint32, *mut Context, *mut BufferDesc) -> OmUint32;
type DisplayStatus = unsafe extern "C" fn(
    *mut OmUint32,
    OmUint32,
    i32,
    *const OidDesc,
    *mut OmUint32,
    *mut BufferDesc,
) -> OmUint32;

struct Gssapi {
    // Kept loaded for the process: the function pointers below point into it.
    _library: libloading::Library,
    import_name: ImportName,
    init_sec_context: InitSecContext,
    release_buffer: ReleaseBuffer,
    release_name: ReleaseName,
    delete_sec_context: DeleteSecContext,
    display_status: DisplayStatus,
}

// SAFETY: GSSAPI's functions are thread-safe (MIT and Heimdal document them so; each call here
// uses only its own context and buffers); the struct holds nothing but the library and pointers
// into it.
unsafe impl Send for Gssapi {}
unsafe impl Sync for Gssapi {}

#[cfg(target_os = "macos")]
const LIBRARIES: &[&str] = &["/System/Library/Frameworks/GSS.framework/GSS"];
#[cfg(not(target_os = "macos"))]
const LIBRARIES: &[&str] = &["libgssapi_krb5.so.2", "libgssapi_krb5.so", "libgssapi.so.3"];

/// GSS_C_NT_HOSTBASED_SERVICE, 1.2.840.113554.1.2.1.4: a name `service@host`.
const NT_HOSTBASED_SERVICE: &[u8] = &[0x2a, 0x86, 0x48, 0x86, 0xf7, 0x12, 0x01, 0x02, 0x01, 0x04];
/// SPNEGO, 1.3.6.1.5.5.2: what HTTP's Negotiate carries (RFC 4559), as browsers and curl send it.
const SPNEGO: &[u8] = &[0x2b, 0x06, 0x01, 0x05, 0x05, 0x02];

const GSS_S_COMPLETE: OmUint32 = 0;
const GSS_S_CONTINUE_NEEDED: OmUint32 = 1;
/// The routine-error part of a major status (RFC 2744 §3.9.1).
const ROUTINE_ERROR_MASK: OmUint32 = 0xff << 16;
const GSS_C_GSS_CODE: i32 = 1;
const GSS_C_MECH_CODE: i32 = 2;

fn load() -> Option<&'static Gssapi> {
    static LOADED: OnceLock<Option<Gssapi>> = OnceLock::new();
    LOADED
        .get_or_init(|| {
            LIBRARIES.iter().find_map(|name| {
                // SAFETY: loading a system library runs its initialisers; GSSAPI's have no
                // preconditions.
                let library = unsafe { libloading::Library::new(name) }.ok()?;
                // SAFETY: each symbol is looked up by its RFC 2744 name and given its RFC 2744
                // signature.
                unsafe {
                    let import_name = *library.get::<ImportName>(b"gss_import_name\0").ok()?;
                    let init_sec_context = *library
                        .get::<InitSecContext>(b"gss_init_sec_context\0")
                        .ok()?;
                    let release_buffer =
                        *library.get::<ReleaseBuffer>(b"gss_release_buffer\0").ok()?;
                    let release_name = *library.get::<ReleaseName>(b"gss_release_name\0").ok()?;
                    let delete_sec_context = *library
                        .get::<DeleteSecContext>(b"gss_delete_sec_context\0")
                        .ok()?;
                    let display_status =
                        *library.get::<DisplayStatus>(b"gss_display_status\0").ok()?;
                    tracing::debug!(library = name, "GSSAPI loaded");
                    Some(Gssapi {
                        _library: library,
                        import_name,
                        init_sec_context,
                        release_buffer,
                        release_name,
                        delete_sec_context,
                        display_status,
                    })
                }
            })
        })
        .as_ref()
}

impl Gssapi {
    /// GSSAPI's own words for a failed call (the major status, then the mechanism's: "No
    /// Kerberos credentials available (default cache: FILE:/tmp/krb5cc_1000)").
    fn describe(&self, major: OmUint32, minor: OmUint32) -> String {
        let mut words = Vec::new();
        for (code, kind) in [(major, GSS_C_GSS_CODE), (minor, GSS_C_MECH_CODE)] {
            if code == 0 {
                continue;
            }
            let mut more: OmUint32 = 0;
            // At most a few messages per code; the loop ends when GSSAPI says it has no more.
            for _ in 0..8 {
                let mut ignored: OmUint32 = 0;
                let mut text = BufferDesc::empty();
                // SAFETY: all pointers are to live locals; a null mech OID means the default.
                let status = unsafe {
                    (self.display_status)(
                        &mut ignored,
                        code,
                        kind,
                        std::ptr::null(),
                        &mut more,
                        &mut text,
                    )
                };
                if status != GSS_S_COMPLETE {
                    break;
                }
                if !text.value.is_null() && text.length > 0 {
                    // SAFETY: GSSAPI returned `length` bytes at `value`, released just below.
                    let bytes =
                        unsafe { std::slice::from_raw_parts(text.value as *const u8, text.length) };
                    words.push(String::from_utf8_lossy(bytes).into_owned());
                }
                // SAFETY: the buffer came from gss_display_status.
                unsafe { (self.release_buffer)(&mut ignored, &mut text) };
                if more == 0 {
                    break;
                }
            }
        }
        let text = words.join(": ");
        if text.is_empty() {
            format!("GSSAPI status {major:#x}/{minor}")
        } else {
            text
        }
    }
}

/// The first SPNEGO token for the service `HTTP@host` from the default credentials.
pub(super) fn first_token(host: &str) -> Result<Vec<u8>, NegotiateError> {
    let gss = load().ok_or(NegotiateError::NoKerberos)?;
    let no_ticket = |reason: String| NegotiateError::NoTicket {
        host: host.to_owned(),
        reason,
    };
    let service = format!("HTTP@{host}");
    let name_buffer = BufferDesc {
        length: service.len(),
        value: service.as_ptr() as *mut c_void,
    };
    let name_type = OidDesc {
        length: NT_HOSTBASED_SERVICE.len() as OmUint32,
        elements: NT_HOSTBASED_SERVICE.as_ptr().cast(),
    };
    let mut minor: OmUint32 = 0;
    let mut name: Name = std::ptr::null_mut();
    // SAFETY: the input buffer points at `service`, alive for the call; gss_import_name copies it.
    let major = unsafe { (gss.import_name)(&mut minor, &name_buffer, &name_type, &mut name) };
    if major & ROUTINE_ERROR_MASK != 0 {
        return Err(no_ticket(gss.describe(major, minor)));
    }
    let mech = OidDesc {
        length: SPNEGO.len() as OmUint32,
        elements: SPNEGO.as_ptr().cast(),
    };
    let mut context: Context = std::ptr::null_mut();
    let mut output = BufferDesc::empty();
    let input = BufferDesc::empty();
    // SAFETY: every pointer is to a live local of the declared layout; null credentials, channel
    // bindings and out-parameters are allowed by RFC 2744 §5.19.
    let major = unsafe {
        (gss.init_sec_context)(
            &mut minor,
            std::ptr::null_mut(),
            &mut context,
            name,
            &mech,
            0,
            0,
            std::ptr::null_mut(),
            &input,
            std::ptr::null_mut(),
            &mut output,
            std::ptr::null_mut(),
            std::ptr::null_mut(),
        )
    };
    let token = if output.value.is_null() || output.length == 0 {
        Vec::new()
    } else {
        // SAFETY: GSSAPI returned `length` bytes at `value`; copied before the release below.
        unsafe { std::slice::from_raw_parts(output.value as *const u8, output.length) }.to_vec()
    };
    let mut ignored: OmUint32 = 0;
    // SAFETY: each handle came from the calls above (or is still null, which these accept); the
    // context is not continued (the proxy's answer needs no reply), so it is deleted now.
    unsafe {
        (gss.release_buffer)(&mut ignored, &mut output);
        (gss.delete_sec_context)(&mut ignored, &mut context, std::ptr::null_mut());
        (gss.release_name)(&mut ignored, &mut name);
    }
    match major {
        GSS_S_COMPLETE | GSS_S_CONTINUE_NEEDED if !token.is_empty() => Ok(token),
        _ => Err(no_ticket(gss.describe(major, minor))),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_oids_are_the_der_contents_of_their_dotted_forms() {
        // 1.2.840.113554.1.2.1.4 and 1.3.6.1.5.5.2, DER without tag and length.
        assert_eq!(NT_HOSTBASED_SERVICE.len(), 10);
        assert_eq!(SPNEGO, &[43, 6, 1, 5, 5, 2]);
    }

    #[test]
    fn the_c_layouts_match_the_platform_headers() {
        #[cfg(not(target_os = "macos"))]
        {
            assert_eq!(std::mem::size_of::<OidDesc>(), 16);
            assert_eq!(std::mem::size_of::<BufferDesc>(), 16);
        }
        #[cfg(target_os = "macos")]
        {
            assert_eq!(std::mem::size_of::<OidDesc>(), 12);
            assert_eq!(std::mem::size_of::<BufferDesc>(), 16);
        }
    }
}
