//! The catalog's area for what the network refused (issue 26): each text names the layer that said
//! no — the firewall, the proxy, its sign-in, its configuration script, TLS inspection — and who can
//! fix it. The proxy is named as `host:port`, as IT departments name it.

catalog! {
    area: Network;
    texts {
        NetDirectRefusedNoProxy {
            en: "The network refused a direct connection, and no proxy is set. If your organisation reaches the Internet through a proxy, set it in the system's network settings or ask your IT department.",
            ja: "ネットワークが直接の接続を拒否しました。プロキシは設定されていません。組織がプロキシ経由でインターネットに接続している場合は、システムのネットワーク設定でプロキシを設定するか、IT 部門に確認してください。",
        }
        NetProxyUnreachable {
            en: "The proxy server {proxy} cannot be reached (connection refused). Check the proxy setting, or ask your IT department whether the proxy is running.",
            ja: "プロキシ サーバー {proxy} に接続できません（接続が拒否されました）。プロキシの設定を確認するか、プロキシが動いているか IT 部門に確認してください。",
        }
        NetProxyCredentialsNeeded {
            en: "The proxy server {proxy} asks for your proxy user name and password. Enter them when Tayori asks, or with `tayori proxy sign-in`; they are kept in the system keyring.",
            ja: "プロキシ サーバー {proxy} がプロキシのユーザー名とパスワードを求めています。Tayori の入力欄か `tayori proxy sign-in` で入力してください（システムのキーリングに保存されます）。",
        }
        NetProxyCredentialsRefused {
            en: "The proxy server {proxy} refused the proxy user name and password of {user}. Enter them again with `tayori proxy sign-in`; if they are right, your IT department can check the proxy account.",
            ja: "プロキシ サーバー {proxy} が {user} のプロキシ ユーザー名とパスワードを拒否しました。`tayori proxy sign-in` でもう一度入力してください。正しい場合は、プロキシのアカウントを IT 部門に確認してもらってください。",
        }
        NetProxyPasswordUnencrypted {
            en: "The proxy server {proxy} asks for a password over an unencrypted connection. Tayori sends passwords only over encrypted connections: your IT department can offer the proxy over HTTPS.",
            ja: "プロキシ サーバー {proxy} が暗号化されていない接続でパスワードを求めています。Tayori はパスワードを暗号化された接続でしか送りません。HTTPS 経由のプロキシを用意するよう IT 部門に依頼してください。",
        }
        NetProxyKerberosUnavailable {
            en: "The proxy server {proxy} asks for a Windows sign-in (Kerberos) that this computer does not have: it is not signed in to your organisation's domain, or that sign-in has expired. Sign in to this computer with your organisation's account (on Linux or macOS: `kinit`), then try again; if you are signed in, your IT department can check the proxy.",
            ja: "プロキシ サーバー {proxy} が Windows のサインイン（Kerberos）を求めていますが、このコンピューターにはそのサインインがありません。組織のドメインにサインインしていないか、サインインの有効期限が切れています。組織のアカウントでこのコンピューターにサインインしてから（Linux と macOS では `kinit`）、もう一度試してください。サインインしている場合は、IT 部門にプロキシを確認してもらってください。",
        }
        NetProxySchemeUnsupported {
            en: "The proxy server {proxy} asks for sign-in by {scheme}, which Tayori does not support. Your IT department can allow sign-in with a user name and password over HTTPS for this proxy.",
            ja: "プロキシ サーバー {proxy} が {scheme} によるサインインを求めていますが、Tayori はこの方式に対応していません。このプロキシで HTTPS 経由のユーザー名とパスワードによるサインインを使えるよう IT 部門に依頼してください。",
        }
        NetPacUnusable {
            en: "The proxy configuration script {url} cannot be used ({reason}). Tayori tried a direct connection instead, which the network refused. Your IT department maintains this script.",
            ja: "プロキシ設定スクリプト {url} を使用できません（{reason}）。代わりに直接接続しましたが、ネットワークに拒否されました。このスクリプトは IT 部門が管理しています。",
        }
        NetPacNotJavaScript { en: "it is not valid JavaScript", ja: "JavaScript として正しくありません" }
        NetPacFindProxyFailed { en: "FindProxyForURL failed", ja: "FindProxyForURL がエラーになりました" }
        NetPacNoAnswer { en: "no answer in time", ja: "時間内に応答がありません" }
        NetConnectRefused {
            en: "The proxy server {proxy} refused to connect to {host} port {port} (HTTP {status}). Your IT department can allow {protocol} on port {port} through the proxy.",
            ja: "プロキシ サーバー {proxy} が {host} のポート {port} への接続を拒否しました（HTTP {status}）。プロキシ経由の {protocol}（ポート {port}）を許可するよう IT 部門に依頼してください。",
        }
        NetSocksRefused {
            en: "The SOCKS proxy {proxy} refused to connect to {host} port {port} (not allowed by its rules). Your IT department can allow {protocol} on port {port} through the proxy.",
            ja: "SOCKS プロキシ {proxy} が {host} のポート {port} への接続を拒否しました（規則で許可されていません）。プロキシ経由の {protocol}（ポート {port}）を許可するよう IT 部門に依頼してください。",
        }
        NetTlsResigned {
            en: "The secure connection to {host} was re-signed by “{issuer}”, which this computer does not trust. Your network inspects encrypted connections: your IT department must install its root certificate on this computer. Tayori does not turn certificate checks off.",
            ja: "{host} への暗号化接続は「{issuer}」によって署名し直されていますが、このコンピューターはこの発行者を信頼していません。ネットワークが暗号化通信を検査しています。IT 部門にルート証明書をこのコンピューターにインストールしてもらってください。Tayori では証明書の確認を無効にできません。",
        }
        NetTlsUnknownIssuer {
            en: "The secure connection to {host} presented a certificate issued by “{issuer}”, which this computer does not trust. If your organisation inspects encrypted connections, your IT department must install its root certificate on this computer. Tayori does not turn certificate checks off.",
            ja: "{host} への暗号化接続で提示された証明書は「{issuer}」が発行したもので、このコンピューターはこの発行者を信頼していません。組織が暗号化通信を検査している場合は、IT 部門にルート証明書をこのコンピューターにインストールしてもらってください。Tayori では証明書の確認を無効にできません。",
        }
        ProxySignInHeading {
            en: "Sign in to the proxy {proxy}",
            ja: "プロキシ {proxy} にサインイン",
        }
        ProxySignInNote {
            en: "Your organisation's proxy user name and password (often your Windows sign-in). Tayori keeps them in the system keyring and sends them only over the encrypted connection to this proxy.",
            ja: "組織のプロキシのユーザー名とパスワードです（多くの場合 Windows のサインインと同じです）。システムのキーリングに保存し、このプロキシへの暗号化された接続でのみ送信します。",
        }
        ProxySignInUser { en: "Proxy user name", ja: "プロキシのユーザー名" }
        ProxySignInPassword { en: "Proxy password", ja: "プロキシのパスワード" }
        ProxySignInSave { en: "Save and try again", ja: "保存してもう一度試す" }
        ProxySignInSaving { en: "Saving in the keyring…", ja: "キーリングに保存しています…" }
        ProxySignInColon {
            en: "A proxy user name cannot contain “:”.",
            ja: "プロキシのユーザー名に「:」は使えません。",
        }
        ProxySignInNotSaved {
            en: "The proxy password could not be saved in the system keyring: {reason}",
            ja: "プロキシのパスワードをシステムのキーリングに保存できませんでした: {reason}",
        }
    }
    plurals {}
}
