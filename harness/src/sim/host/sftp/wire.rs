//! SFTP version 3 packets, as draft-ietf-secsh-filexfer-02 lays them out
//! and OpenSSH's sftp-server and sftp-client speak them: uint32 length,
//! byte type, then the type's fields. A string is a uint32 length and its
//! bytes; ATTRS is a flags word and the fields the flags name.

/// The protocol version both ends of the model speak (filexfer-02).
pub const VERSION: u32 = 3;

/// sftp-common.h SFTP_MAX_MSG_LENGTH: a longer packet is refused.
pub const MAX_MSG_LENGTH: usize = 256 * 1024;

/// Packet types (filexfer-02 section 3).
mod kind {
    pub const INIT: u8 = 1;
    pub const VERSION: u8 = 2;
    pub const OPEN: u8 = 3;
    pub const CLOSE: u8 = 4;
    pub const READ: u8 = 5;
    pub const WRITE: u8 = 6;
    pub const LSTAT: u8 = 7;
    pub const FSTAT: u8 = 8;
    pub const STAT: u8 = 17;
    pub const STATUS: u8 = 101;
    pub const HANDLE: u8 = 102;
    pub const DATA: u8 = 103;
    pub const ATTRS: u8 = 105;
}

/// SSH_FXF_* open flags (filexfer-02 6.3).
pub mod open_flags {
    pub const READ: u32 = 0x01;
    pub const WRITE: u32 = 0x02;
    pub const CREAT: u32 = 0x08;
    pub const TRUNC: u32 = 0x10;
    pub const EXCL: u32 = 0x20;
}

/// SSH_FX_* status codes (filexfer-02 7).
pub mod status {
    pub const OK: u32 = 0;
    pub const EOF: u32 = 1;
    pub const NO_SUCH_FILE: u32 = 2;
    pub const FAILURE: u32 = 4;
    pub const BAD_MESSAGE: u32 = 5;
    pub const OP_UNSUPPORTED: u32 = 8;

    /// sftp-common.c fx2txt(): the text each end prints for a code.
    pub fn text(code: u32) -> &'static str {
        match code {
            OK => "No error",
            EOF => "End of file",
            NO_SUCH_FILE => "No such file or directory",
            3 => "Permission denied",
            FAILURE => "Failure",
            BAD_MESSAGE => "Bad message",
            6 => "No connection",
            7 => "Connection lost",
            OP_UNSUPPORTED => "Operation unsupported",
            _ => "Unknown status",
        }
    }
}

/// SSH_FILEXFER_ATTR_* flags (filexfer-02 5).
const ATTR_SIZE: u32 = 0x1;
const ATTR_UIDGID: u32 = 0x2;
const ATTR_PERMISSIONS: u32 = 0x4;
const ATTR_ACMODTIME: u32 = 0x8;
const ATTR_EXTENDED: u32 = 0x8000_0000;

/// The attributes the model has: a size and a st_mode.
#[derive(Clone, Debug, Default, PartialEq)]
pub struct Attrs {
    pub size: Option<u64>,
    pub permissions: Option<u32>,
}

/// st_mode's file type bits, stat(2) (inode(7)).
const S_IFMT: u32 = 0o170000;
const S_IFDIR: u32 = 0o040000;

impl Attrs {
    pub fn is_dir(&self) -> bool {
        self.permissions.is_some_and(|m| m & S_IFMT == S_IFDIR)
    }
}

/// One packet of either direction. Requests the model does not serve
/// are kept by type and id, for an SSH_FX_OP_UNSUPPORTED answer.
#[derive(Clone, Debug, PartialEq)]
pub enum Packet {
    Init {
        version: u32,
    },
    Version {
        version: u32,
    },
    Open {
        id: u32,
        path: String,
        flags: u32,
    },
    Close {
        id: u32,
        handle: Vec<u8>,
    },
    Read {
        id: u32,
        handle: Vec<u8>,
        offset: u64,
        len: u32,
    },
    Write {
        id: u32,
        handle: Vec<u8>,
        offset: u64,
        data: Vec<u8>,
    },
    Lstat {
        id: u32,
        path: String,
    },
    Fstat {
        id: u32,
        handle: Vec<u8>,
    },
    Stat {
        id: u32,
        path: String,
    },
    Status {
        id: u32,
        code: u32,
        message: String,
    },
    Handle {
        id: u32,
        handle: Vec<u8>,
    },
    Data {
        id: u32,
        data: Vec<u8>,
    },
    Attrs {
        id: u32,
        attrs: Attrs,
    },
    Unsupported {
        kind: u8,
        id: u32,
    },
}

impl Packet {
    /// The packet on the wire, its length word first.
    pub fn encode(&self) -> Vec<u8> {
        let mut body = Writer::default();
        match self {
            Packet::Init { version } => body.byte(kind::INIT).u32(*version),
            Packet::Version { version } => body.byte(kind::VERSION).u32(*version),
            Packet::Open { id, path, flags } => body
                .byte(kind::OPEN)
                .u32(*id)
                .string(path.as_bytes())
                .u32(*flags)
                .attrs(&Attrs::default()),
            Packet::Close { id, handle } => body.byte(kind::CLOSE).u32(*id).string(handle),
            Packet::Read {
                id,
                handle,
                offset,
                len,
            } => body
                .byte(kind::READ)
                .u32(*id)
                .string(handle)
                .u64(*offset)
                .u32(*len),
            Packet::Write {
                id,
                handle,
                offset,
                data,
            } => body
                .byte(kind::WRITE)
                .u32(*id)
                .string(handle)
                .u64(*offset)
                .string(data),
            Packet::Lstat { id, path } => body.byte(kind::LSTAT).u32(*id).string(path.as_bytes()),
            Packet::Fstat { id, handle } => body.byte(kind::FSTAT).u32(*id).string(handle),
            Packet::Stat { id, path } => body.byte(kind::STAT).u32(*id).string(path.as_bytes()),
            Packet::Status { id, code, message } => body
                .byte(kind::STATUS)
                .u32(*id)
                .u32(*code)
                .string(message.as_bytes())
                .string(b""),
            Packet::Handle { id, handle } => body.byte(kind::HANDLE).u32(*id).string(handle),
            Packet::Data { id, data } => body.byte(kind::DATA).u32(*id).string(data),
            Packet::Attrs { id, attrs } => body.byte(kind::ATTRS).u32(*id).attrs(attrs),
            Packet::Unsupported { kind, id } => body.byte(*kind).u32(*id),
        };
        let mut packet = (body.0.len() as u32).to_be_bytes().to_vec();
        packet.extend(body.0);
        packet
    }

    /// A packet's body (type and fields, without the length word).
    pub fn decode(body: &[u8]) -> Result<Packet, String> {
        let mut r = Reader { rest: body };
        let kind = r.byte()?;
        let packet = match kind {
            kind::INIT => Packet::Init { version: r.u32()? },
            kind::VERSION => Packet::Version { version: r.u32()? },
            kind::OPEN => {
                let id = r.u32()?;
                let path = r.text()?;
                let flags = r.u32()?;
                r.attrs()?;
                Packet::Open { id, path, flags }
            }
            kind::CLOSE => Packet::Close {
                id: r.u32()?,
                handle: r.string()?,
            },
            kind::READ => Packet::Read {
                id: r.u32()?,
                handle: r.string()?,
                offset: r.u64()?,
                len: r.u32()?,
            },
            kind::WRITE => Packet::Write {
                id: r.u32()?,
                handle: r.string()?,
                offset: r.u64()?,
                data: r.string()?,
            },
            kind::LSTAT => Packet::Lstat {
                id: r.u32()?,
                path: r.text()?,
            },
            kind::FSTAT => Packet::Fstat {
                id: r.u32()?,
                handle: r.string()?,
            },
            kind::STAT => Packet::Stat {
                id: r.u32()?,
                path: r.text()?,
            },
            kind::STATUS => Packet::Status {
                id: r.u32()?,
                code: r.u32()?,
                // filexfer-02: version 3 peers send the message; a bare
                // code is what older servers sent.
                message: if r.rest.is_empty() {
                    String::new()
                } else {
                    r.text()?
                },
            },
            kind::HANDLE => Packet::Handle {
                id: r.u32()?,
                handle: r.string()?,
            },
            kind::DATA => Packet::Data {
                id: r.u32()?,
                data: r.string()?,
            },
            kind::ATTRS => Packet::Attrs {
                id: r.u32()?,
                attrs: r.attrs()?,
            },
            other => Packet::Unsupported {
                kind: other,
                id: r.u32().unwrap_or(0),
            },
        };
        Ok(packet)
    }
}

/// Takes the first whole packet's body out of `buffer`: `Ok(None)` while
/// it is incomplete; an error for a length beyond MAX_MSG_LENGTH, which
/// both ends treat as the end of the conversation.
pub fn take_packet(buffer: &mut Vec<u8>) -> Result<Option<Vec<u8>>, String> {
    let Some(word) = buffer.get(..4) else {
        return Ok(None);
    };
    let len = u32::from_be_bytes(word.try_into().unwrap()) as usize;
    if len > MAX_MSG_LENGTH {
        return Err(format!("received message too long {len}"));
    }
    if buffer.len() < 4 + len {
        return Ok(None);
    }
    let body = buffer[4..4 + len].to_vec();
    buffer.drain(..4 + len);
    Ok(Some(body))
}

#[derive(Default)]
struct Writer(Vec<u8>);

impl Writer {
    fn byte(&mut self, b: u8) -> &mut Self {
        self.0.push(b);
        self
    }

    fn u32(&mut self, v: u32) -> &mut Self {
        self.0.extend(v.to_be_bytes());
        self
    }

    fn u64(&mut self, v: u64) -> &mut Self {
        self.0.extend(v.to_be_bytes());
        self
    }

    fn string(&mut self, s: &[u8]) -> &mut Self {
        self.u32(s.len() as u32);
        self.0.extend(s);
        self
    }

    fn attrs(&mut self, attrs: &Attrs) -> &mut Self {
        let mut flags = 0;
        if attrs.size.is_some() {
            flags |= ATTR_SIZE;
        }
        if attrs.permissions.is_some() {
            flags |= ATTR_PERMISSIONS;
        }
        self.u32(flags);
        if let Some(size) = attrs.size {
            self.u64(size);
        }
        if let Some(mode) = attrs.permissions {
            self.u32(mode);
        }
        self
    }
}

struct Reader<'a> {
    rest: &'a [u8],
}

impl Reader<'_> {
    fn take(&mut self, n: usize) -> Result<&[u8], String> {
        if self.rest.len() < n {
            return Err("packet too short".into());
        }
        let (head, tail) = self.rest.split_at(n);
        self.rest = tail;
        Ok(head)
    }

    fn byte(&mut self) -> Result<u8, String> {
        Ok(self.take(1)?[0])
    }

    fn u32(&mut self) -> Result<u32, String> {
        Ok(u32::from_be_bytes(self.take(4)?.try_into().unwrap()))
    }

    fn u64(&mut self) -> Result<u64, String> {
        Ok(u64::from_be_bytes(self.take(8)?.try_into().unwrap()))
    }

    fn string(&mut self) -> Result<Vec<u8>, String> {
        let len = self.u32()? as usize;
        Ok(self.take(len)?.to_vec())
    }

    fn text(&mut self) -> Result<String, String> {
        Ok(String::from_utf8_lossy(&self.string()?).into_owned())
    }

    /// ATTRS, every field the flags name read; size and mode kept.
    fn attrs(&mut self) -> Result<Attrs, String> {
        let flags = self.u32()?;
        let mut attrs = Attrs::default();
        if flags & ATTR_SIZE != 0 {
            attrs.size = Some(self.u64()?);
        }
        if flags & ATTR_UIDGID != 0 {
            self.take(8)?;
        }
        if flags & ATTR_PERMISSIONS != 0 {
            attrs.permissions = Some(self.u32()?);
        }
        if flags & ATTR_ACMODTIME != 0 {
            self.take(8)?;
        }
        if flags & ATTR_EXTENDED != 0 {
            for _ in 0..self.u32()? {
                self.string()?;
                self.string()?;
            }
        }
        Ok(attrs)
    }
}

/// st_mode of a regular file and of a directory, as the model has them
/// (mode 0644 and 0755).
pub const REGULAR_MODE: u32 = 0o100644;
pub const DIRECTORY_MODE: u32 = S_IFDIR | 0o755;

#[cfg(test)]
mod tests {
    use super::*;

    fn round_trip(packet: Packet) {
        let mut wire = packet.encode();
        let body = take_packet(&mut wire).unwrap().unwrap();
        assert!(wire.is_empty());
        assert_eq!(Packet::decode(&body).unwrap(), packet);
    }

    #[test]
    fn every_packet_reads_back_as_written() {
        let handle = vec![0, 0, 0, 1];
        for packet in [
            Packet::Init { version: VERSION },
            Packet::Version { version: VERSION },
            Packet::Open {
                id: 1,
                path: "big".into(),
                flags: open_flags::READ,
            },
            Packet::Close {
                id: 2,
                handle: handle.clone(),
            },
            Packet::Read {
                id: 3,
                handle: handle.clone(),
                offset: 1 << 33,
                len: 32768,
            },
            Packet::Write {
                id: 4,
                handle: handle.clone(),
                offset: 5,
                data: b"hello".to_vec(),
            },
            Packet::Lstat {
                id: 5,
                path: "x".into(),
            },
            Packet::Fstat { id: 6, handle },
            Packet::Stat {
                id: 7,
                path: ".".into(),
            },
            Packet::Status {
                id: 8,
                code: status::EOF,
                message: "End of file".into(),
            },
            Packet::Data {
                id: 9,
                data: vec![7; 100],
            },
            Packet::Attrs {
                id: 10,
                attrs: Attrs {
                    size: Some(1048576),
                    permissions: Some(REGULAR_MODE),
                },
            },
            Packet::Unsupported { kind: 16, id: 11 },
        ] {
            round_trip(packet);
        }
    }

    #[test]
    fn the_init_packet_is_nine_bytes_as_sftp_client_sends_it() {
        assert_eq!(
            Packet::Init { version: 3 }.encode(),
            [0, 0, 0, 5, 1, 0, 0, 0, 3]
        );
    }

    #[test]
    fn a_packet_is_taken_only_once_whole() {
        let mut wire = Packet::Init { version: 3 }.encode();
        let mut partial = wire[..6].to_vec();
        assert_eq!(take_packet(&mut partial).unwrap(), None);
        wire.extend(Packet::Init { version: 3 }.encode());
        assert!(take_packet(&mut wire).unwrap().is_some());
        assert!(take_packet(&mut wire).unwrap().is_some());
        assert_eq!(take_packet(&mut wire).unwrap(), None);
    }

    #[test]
    fn hostile_packets_are_errors_not_panics() {
        let mut huge = vec![0xff, 0xff, 0xff, 0xff, 1];
        assert!(take_packet(&mut huge).unwrap_err().contains("too long"));
        for body in [
            &[][..],
            &[3, 0, 0, 0, 1, 0xff, 0xff, 0xff, 0xff],
            &[105, 0, 0, 0, 1, 0x80, 0, 0, 0, 0, 0, 0, 9],
            &[5, 0, 0],
        ] {
            assert!(Packet::decode(body).is_err(), "{body:?}");
        }
        assert_eq!(
            Packet::decode(&[16]).unwrap(),
            Packet::Unsupported { kind: 16, id: 0 }
        );
    }

    #[test]
    fn attributes_skip_the_fields_the_model_does_not_keep() {
        // flags SIZE|UIDGID|PERMISSIONS|ACMODTIME|EXTENDED with one pair.
        let mut body = vec![105, 0, 0, 0, 1, 0x80, 0, 0, 0x0f];
        body.extend(10u64.to_be_bytes());
        body.extend([0; 8]);
        body.extend(REGULAR_MODE.to_be_bytes());
        body.extend([0; 8]);
        body.extend(1u32.to_be_bytes());
        body.extend([0, 0, 0, 1, b'k', 0, 0, 0, 1, b'v']);
        let Packet::Attrs { attrs, .. } = Packet::decode(&body).unwrap() else {
            panic!("not ATTRS");
        };
        assert_eq!(attrs.size, Some(10));
        assert!(!attrs.is_dir());
    }
}
