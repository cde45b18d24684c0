//! IAM Identity Center (SSO): signing in (PKCE or device code), the AWS CLI's token and
//! registration files, the silent refresh, and signing out (DESIGN §10).

pub mod token;

pub mod login;
pub mod loopback;
pub mod oidc;
pub mod pkce;
pub mod session;
pub mod store;
