; Tayori's Windows installer (NSIS 3). Built by packaging/windows/build-installer.sh, which passes:
;   -DVERSION=0.1.0  -DNUMVERSION=0.1.0.0  -DSTAGE=<folder with tayori.exe, tayori-cli.exe, tayori.ico, LICENSE-*.txt>
;   -DOUTFILE=<path of the setup .exe>
;
; A per-user install: no administrator rights are asked for or needed. Everything goes under the
; user's own profile and registry hive (HKCU), the way Windows documents it for per-user apps:
;   %LOCALAPPDATA%\Programs\Tayori            the program
;   Start menu\Programs\Tayori.lnk             the shortcut
;   HKCU\Software\Clients\Mail\Tayori          Tayori as a mail program, with the mailto: capability
;   HKCU\Software\RegisteredApplications       so Settings > Default apps lists it for mailto:
;   HKCU\Software\Classes\Tayori.mailto        what opening a mailto: link runs
;   HKCU\...\CurrentVersion\Uninstall\Tayori    the entry in Settings > Apps
; Windows 10 and 11 do not let a program make itself the default: the person picks Tayori for
; "MAILTO" in Settings > Default apps (the finish page says so).

Unicode true
Target amd64-unicode
RequestExecutionLevel user
!ifdef FAST
  ; tests/packaging.sh's unoptimised 100 MB build: zlib takes seconds where LZMA takes minutes.
  SetCompressor zlib
!else
  ; tayori.exe and tayori-cli.exe differ in two header bytes: with a dictionary larger than the
  ; program, solid LZMA stores the second copy for almost nothing.
  SetCompressor /SOLID lzma
  SetCompressorDictSize 128
!endif

!ifndef VERSION
  !error "pass -DVERSION=x.y.z"
!endif
!ifndef NUMVERSION
  !error "pass -DNUMVERSION=x.y.z.w (four numbers, for the file's version resource)"
!endif
!ifndef STAGE
  !error "pass -DSTAGE=folder"
!endif
!ifndef OUTFILE
  !define OUTFILE "tayori-${VERSION}-x86_64-setup.exe"
!endif

!define APP "Tayori"
!define PUBLISHER "The Tayori developers"
!define CLIENT_KEY "Software\Clients\Mail\Tayori"
!define PROGID "Tayori.mailto"
!define UNINST_KEY "Software\Microsoft\Windows\CurrentVersion\Uninstall\Tayori"
!define APPPATH_KEY "Software\Microsoft\Windows\CurrentVersion\App Paths\tayori.exe"

Name "${APP}"
OutFile "${OUTFILE}"
InstallDir "$LOCALAPPDATA\Programs\Tayori"
InstallDirRegKey HKCU "${UNINST_KEY}" "InstallLocation"
ManifestDPIAware true
BrandingText "${APP} ${VERSION}"

VIProductVersion "${NUMVERSION}"
VIAddVersionKey /LANG=0 "ProductName" "${APP}"
VIAddVersionKey /LANG=0 "ProductVersion" "${VERSION}"
VIAddVersionKey /LANG=0 "FileVersion" "${VERSION}"
VIAddVersionKey /LANG=0 "FileDescription" "${APP} setup"
VIAddVersionKey /LANG=0 "CompanyName" "${PUBLISHER}"
VIAddVersionKey /LANG=0 "LegalCopyright" "2026 ${PUBLISHER}; MIT OR Apache-2.0"

!include "MUI2.nsh"
!include "FileFunc.nsh"
!include "x64.nsh"

!define MUI_ICON "${STAGE}\tayori.ico"
!define MUI_UNICON "${STAGE}\tayori.ico"
!define MUI_ABORTWARNING
!define MUI_FINISHPAGE_RUN "$INSTDIR\tayori.exe"
!define MUI_FINISHPAGE_TEXT "$(FinishText)"
!define MUI_FINISHPAGE_SHOWREADME "ms-settings:defaultapps"
!define MUI_FINISHPAGE_SHOWREADME_TEXT "$(OpenDefaultApps)"
!define MUI_FINISHPAGE_SHOWREADME_NOTCHECKED

!insertmacro MUI_PAGE_WELCOME
!insertmacro MUI_PAGE_DIRECTORY
!insertmacro MUI_PAGE_INSTFILES
!insertmacro MUI_PAGE_FINISH
!insertmacro MUI_UNPAGE_CONFIRM
!insertmacro MUI_UNPAGE_INSTFILES

; The installer speaks the language Windows is set to, English otherwise.
!insertmacro MUI_LANGUAGE "English"
!insertmacro MUI_LANGUAGE "Japanese"

LangString FinishText ${LANG_ENGLISH} "Tayori is installed.$\r$\n$\r$\nTo open mail links (mailto:) with Tayori, choose it for MAILTO in Settings > Apps > Default apps.$\r$\n$\r$\nFor the command line, use tayori-cli.exe in the installation folder."
LangString FinishText ${LANG_JAPANESE} "Tayori をインストールしました。$\r$\n$\r$\nメールのリンク (mailto:) を Tayori で開くには、[設定] > [アプリ] > [既定のアプリ] で MAILTO に Tayori を選んでください。$\r$\n$\r$\nコマンドラインでは、インストール先の tayori-cli.exe を使います。"
LangString OpenDefaultApps ${LANG_ENGLISH} "Open Default apps settings"
LangString OpenDefaultApps ${LANG_JAPANESE} "[既定のアプリ] の設定を開く"
LangString Needs64Bit ${LANG_ENGLISH} "Tayori needs 64-bit Windows 10 or later."
LangString Needs64Bit ${LANG_JAPANESE} "Tayori には 64 ビット版の Windows 10 以降が必要です。"
LangString MailLink ${LANG_ENGLISH} "Mail link (Tayori)"
LangString MailLink ${LANG_JAPANESE} "メールのリンク (Tayori)"
LangString AppDescription ${LANG_ENGLISH} "A mail program that signs in the modern way (OAuth 2.0, multi-factor sign-in)."
LangString AppDescription ${LANG_JAPANESE} "新しいサインイン (OAuth 2.0・多要素認証) に対応したメールソフト。"

Function .onInit
  ${IfNot} ${RunningX64}
    MessageBox MB_ICONSTOP "$(Needs64Bit)" /SD IDOK
    Abort
  ${EndIf}
  SetShellVarContext current
FunctionEnd

Function un.onInit
  SetShellVarContext current
FunctionEnd

Section "Tayori" SecMain
  SectionIn RO
  SetOutPath "$INSTDIR"
  File "${STAGE}\tayori.exe"
  File "${STAGE}\tayori-cli.exe"
  File "${STAGE}\tayori.ico"
  File "${STAGE}\LICENSE-MIT.txt"
  File "${STAGE}\LICENSE-APACHE.txt"
  WriteUninstaller "$INSTDIR\uninstall.exe"

  CreateShortcut "$SMPROGRAMS\Tayori.lnk" "$INSTDIR\tayori.exe" "" "$INSTDIR\tayori.ico" 0 \
    SW_SHOWNORMAL "" "$(AppDescription)"

  ; What a mailto: link runs: the GUI program with the link as its one argument.
  WriteRegStr HKCU "Software\Classes\${PROGID}" "" "$(MailLink)"
  WriteRegStr HKCU "Software\Classes\${PROGID}" "FriendlyTypeName" "$(MailLink)"
  WriteRegStr HKCU "Software\Classes\${PROGID}\DefaultIcon" "" "$INSTDIR\tayori.ico"
  WriteRegStr HKCU "Software\Classes\${PROGID}\shell\open\command" "" '"$INSTDIR\tayori.exe" "%1"'

  ; Tayori as a mail client with the mailto: capability (Default Programs).
  WriteRegStr HKCU "${CLIENT_KEY}" "" "${APP}"
  WriteRegStr HKCU "${CLIENT_KEY}\DefaultIcon" "" "$INSTDIR\tayori.ico"
  WriteRegStr HKCU "${CLIENT_KEY}\shell\open\command" "" '"$INSTDIR\tayori.exe"'
  WriteRegStr HKCU "${CLIENT_KEY}\Capabilities" "ApplicationName" "${APP}"
  WriteRegStr HKCU "${CLIENT_KEY}\Capabilities" "ApplicationDescription" "$(AppDescription)"
  WriteRegStr HKCU "${CLIENT_KEY}\Capabilities" "ApplicationIcon" "$INSTDIR\tayori.ico"
  WriteRegStr HKCU "${CLIENT_KEY}\Capabilities\URLAssociations" "mailto" "${PROGID}"
  WriteRegStr HKCU "Software\RegisteredApplications" "${APP}" "${CLIENT_KEY}\Capabilities"

  ; "tayori" in the Run box (Win+R) starts the program.
  WriteRegStr HKCU "${APPPATH_KEY}" "" "$INSTDIR\tayori.exe"
  WriteRegStr HKCU "${APPPATH_KEY}" "Path" "$INSTDIR"

  ; The entry in Settings > Apps, so the person can remove Tayori like any other program.
  WriteRegStr HKCU "${UNINST_KEY}" "DisplayName" "${APP}"
  WriteRegStr HKCU "${UNINST_KEY}" "DisplayVersion" "${VERSION}"
  WriteRegStr HKCU "${UNINST_KEY}" "Publisher" "${PUBLISHER}"
  WriteRegStr HKCU "${UNINST_KEY}" "DisplayIcon" "$INSTDIR\tayori.ico"
  WriteRegStr HKCU "${UNINST_KEY}" "InstallLocation" "$INSTDIR"
  WriteRegStr HKCU "${UNINST_KEY}" "UninstallString" '"$INSTDIR\uninstall.exe"'
  WriteRegStr HKCU "${UNINST_KEY}" "QuietUninstallString" '"$INSTDIR\uninstall.exe" /S'
  WriteRegDWORD HKCU "${UNINST_KEY}" "NoModify" 1
  WriteRegDWORD HKCU "${UNINST_KEY}" "NoRepair" 1
  ${GetSize} "$INSTDIR" "/S=0K" $0 $1 $2
  WriteRegDWORD HKCU "${UNINST_KEY}" "EstimatedSize" $0

  ; Tell Explorer that associations changed (SHCNE_ASSOCCHANGED), so the new handler shows at once.
  System::Call 'shell32::SHChangeNotify(i 0x08000000, i 0, p 0, p 0)'
SectionEnd

Section "Uninstall"
  Delete "$INSTDIR\tayori.exe"
  Delete "$INSTDIR\tayori-cli.exe"
  Delete "$INSTDIR\tayori.ico"
  Delete "$INSTDIR\LICENSE-MIT.txt"
  Delete "$INSTDIR\LICENSE-APACHE.txt"
  Delete "$INSTDIR\uninstall.exe"
  RMDir "$INSTDIR"
  Delete "$SMPROGRAMS\Tayori.lnk"

  DeleteRegKey HKCU "Software\Classes\${PROGID}"
  DeleteRegKey HKCU "${CLIENT_KEY}"
  DeleteRegValue HKCU "Software\RegisteredApplications" "${APP}"
  DeleteRegKey HKCU "${APPPATH_KEY}"
  DeleteRegKey HKCU "${UNINST_KEY}"
  System::Call 'shell32::SHChangeNotify(i 0x08000000, i 0, p 0, p 0)'
  ; Mail, settings and logs (%APPDATA%\Tayori, %LOCALAPPDATA%\Tayori) and the sign-ins in Credential
  ; Manager are the person's, not the program's: they stay, so reinstalling loses nothing.
SectionEnd
