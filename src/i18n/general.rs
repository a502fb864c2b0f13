//! Texts shown everywhere: the app's name, the language switch, the first start.

catalog! {
    area: General;
    texts {
        AppName { en: "Tayori", ja: "便り Tayori" }
        SwitchLanguage { en: "日本語で表示", ja: "Show in English" }
        NoAccountYet {
            en: "No mail account is set up yet. Add one with `tayori account add EMAIL`, or open the window.",
            ja: "メール アカウントがまだ設定されていません。`tayori account add メールアドレス` で追加するか、ウィンドウを開いて追加してください。",
        }
    }
    plurals {}
}
