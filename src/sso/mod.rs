//! IAM Identity Center (SSO): the token cache `aws sso login` fills.

pub mod token;
