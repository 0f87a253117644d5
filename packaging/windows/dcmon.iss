; Inno Setup 6 script for dcmon (Windows x64), from the PyInstaller one-folder build.
;
;   python packaging\build.py --bundle-only            (dist\dcmon\ and build\icons\dcmon.ico)
;   iscc /DAppVersion=0.1.0 packaging\windows\dcmon.iss  -> dist\dcmon-0.1.0-windows-x64-setup.exe
;
; AppVersion must be pyproject.toml's version: the release workflow reads it from there.
; Upgrades: the AppId is fixed, so a new version installs over the old one in the same folder;
; [InstallDelete] removes the previous bundle (_internal and the exe) first, so no file of an
; old version is left beside the new one. The uninstaller (Settings > Apps) removes the folder.

#ifndef AppVersion
  #error Pass the version: iscc /DAppVersion=X.Y.Z dcmon.iss
#endif
#define Root AddBackslash(SourcePath) + "..\.."

[Setup]
; never change the AppId: upgrades and the uninstaller find the installation through it
AppId={{6F1C2B9E-4D0A-4E57-9B43-2D8C1A7E5F10}
AppName=dcmon
AppVersion={#AppVersion}
AppVerName=dcmon {#AppVersion}
AppPublisher=dcmon contributors
VersionInfoVersion={#AppVersion}
DefaultDirName={autopf}\dcmon
DefaultGroupName=dcmon
DisableProgramGroupPage=yes
; per-user install by default (no UAC prompt); "install for all users" is offered
PrivilegesRequired=lowest
PrivilegesRequiredOverridesAllowed=dialog commandline
ArchitecturesAllowed=x64compatible
ArchitecturesInstallIn64BitMode=x64compatible
OutputDir={#Root}\dist
OutputBaseFilename=dcmon-{#AppVersion}-windows-x64-setup
SetupIconFile={#Root}\build\icons\dcmon.ico
UninstallDisplayIcon={app}\dcmon.exe
UninstallDisplayName=dcmon {#AppVersion}
Compression=lzma2/max
SolidCompression=yes
WizardStyle=modern
; close a running dcmon before files are replaced (Restart Manager)
CloseApplications=yes
RestartApplications=no

[InstallDelete]
; clean upgrade: the old bundle goes before the new one is copied
Type: filesandordirs; Name: "{app}\_internal"
Type: files; Name: "{app}\dcmon.exe"

[Files]
Source: "{#Root}\dist\dcmon\*"; DestDir: "{app}"; Flags: ignoreversion recursesubdirs createallsubdirs

[Icons]
Name: "{autoprograms}\dcmon"; Filename: "{app}\dcmon.exe"; Comment: "Meeting data channel monitor"
Name: "{autoprograms}\Uninstall dcmon"; Filename: "{uninstallexe}"

[Run]
Filename: "{app}\dcmon.exe"; Description: "Start dcmon"; Flags: nowait postinstall skipifsilent

[UninstallDelete]
; the uninstaller removes what it installed; this also takes anything written into the
; bundle later (nothing is expected), and the folder itself once empty
Type: filesandordirs; Name: "{app}\_internal"
Type: dirifempty; Name: "{app}"
